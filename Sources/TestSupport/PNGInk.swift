import CZlib
import Foundation

/// How much of a PNG screenshot is not background, to tell a rendered page from a blank one
/// without an image library: the IDAT chunks are inflated and the scanlines un-filtered, and
/// the share of pixels that differ from the first pixel is returned. 8-bit RGB or RGBA only.
public enum PNGInk {
    public struct Unsupported: Error, CustomStringConvertible {
        public var description: String
    }

    public static func fraction(ofFile path: String) throws -> Double {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        guard bytes.count > 33, bytes[1] == 0x50, bytes[2] == 0x4E, bytes[3] == 0x47 else { throw Unsupported(description: "\(path) is not a PNG") }
        func be32(_ offset: Int) -> Int { bytes[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) } }
        let width = be32(16), height = be32(20), depth = bytes[24], colorType = bytes[25]
        guard depth == 8, colorType == 2 || colorType == 6 else {
            throw Unsupported(description: "\(path): PNG colour type \(colorType), depth \(depth)")
        }
        let channels = colorType == 6 ? 4 : 3
        var compressed: [UInt8] = []
        var offset = 8
        while offset + 8 <= bytes.count {
            let length = be32(offset), type = String(decoding: bytes[offset + 4..<offset + 8], as: UTF8.self)
            if type == "IDAT" { compressed += bytes[offset + 8..<offset + 8 + length] }
            offset += 12 + length
        }
        let stride = width * channels
        var raw = [UInt8](repeating: 0, count: (stride + 1) * height)
        var stream = z_stream()
        guard inflateInit_(&stream, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { throw Unsupported(description: "zlib") }
        let status = compressed.withUnsafeMutableBufferPointer { input in
            raw.withUnsafeMutableBufferPointer { output in
                stream.next_in = input.baseAddress
                stream.avail_in = UInt32(input.count)
                stream.next_out = output.baseAddress
                stream.avail_out = UInt32(output.count)
                return inflate(&stream, Z_FINISH)
            }
        }
        inflateEnd(&stream)
        guard status == Z_STREAM_END else { throw Unsupported(description: "\(path): corrupt image data") }
        // Undo the per-row filters (PNG spec 9.2) into `pixels`.
        var pixels = [UInt8](repeating: 0, count: stride * height)
        for row in 0..<height {
            let filter = raw[row * (stride + 1)]
            for column in 0..<stride {
                let x = Int(raw[row * (stride + 1) + 1 + column])
                let a = column >= channels ? Int(pixels[row * stride + column - channels]) : 0
                let b = row > 0 ? Int(pixels[(row - 1) * stride + column]) : 0
                let c = row > 0 && column >= channels ? Int(pixels[(row - 1) * stride + column - channels]) : 0
                let predictor: Int
                switch filter {
                case 1: predictor = a
                case 2: predictor = b
                case 3: predictor = (a + b) / 2
                case 4:
                    let p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c)
                    predictor = pa <= pb && pa <= pc ? a : (pb <= pc ? b : c)
                default: predictor = 0
                }
                pixels[row * stride + column] = UInt8(truncatingIfNeeded: x + predictor)
            }
        }
        let background = Array(pixels[0..<channels])
        var inked = 0
        for pixel in 0..<(width * height) where Array(pixels[pixel * channels..<(pixel + 1) * channels]) != background { inked += 1 }
        return Double(inked) / Double(width * height)
    }
}
