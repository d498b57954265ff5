/// Values made into names: file names of split exports, column names of listed values.
public enum Slug {
    /// Lower-case ASCII letters and digits, other runs of characters as one `_` ("Can't lose
    /// them" -> "can_t_lose_them"); "blank" for a value with no letter or digit.
    public static func of(_ value: String) -> String {
        var slug = ""
        for character in value.lowercased() {
            if character.isASCII, character.isLetter || character.isNumber {
                slug.append(character)
            } else if !slug.isEmpty, slug.last != "_" {
                slug.append("_")
            }
        }
        while slug.last == "_" { slug.removeLast() }
        return slug.isEmpty ? "blank" : slug
    }
}
