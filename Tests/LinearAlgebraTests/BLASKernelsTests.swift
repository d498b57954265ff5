import LinearAlgebra
import Testing

@Suite struct BLASKernelsTests {
    @Test func genericKernelsAreReplacedByTheWidestTheCPUHas() {
        let avx512: Set<Substring> = ["sse2", "avx", "avx2", "fma", "avx512f", "avx512dq", "avx512cd", "avx512bw", "avx512vl"]
        #expect(BLASKernels.replacement(for: "Prescott", cpuFlags: avx512) == "SkylakeX")
        #expect(BLASKernels.replacement(for: "Prescott", cpuFlags: ["sse2", "avx", "avx2", "fma"]) == "Haswell")
        #expect(BLASKernels.replacement(for: "Prescott", cpuFlags: ["sse2", "avx", "avx512f"]) == nil)
        #expect(BLASKernels.replacement(for: "Haswell", cpuFlags: avx512) == nil)
        #expect(BLASKernels.replacement(for: "SkylakeX", cpuFlags: avx512) == nil)
    }
}
