/// How the process asks glibc's allocator to keep its memory (issue 14: memory of a state's
/// quarter).
///
/// glibc gives each thread that allocates its own arena: the slices read on the workers free their
/// buffers into the workers' arenas, and the main thread, which links persons afterwards, cannot
/// use that space and grows its own. One arena for the whole process lets linking reuse what
/// reading freed. Measured on a state's quarter (three alternating runs each, same session): peak
/// 536–602 MB with glibc's default, 480–510 MB with one arena, in the same time (the two readers
/// sharing the arena's lock cost nothing measurable next to the VM's run-to-run noise). A fixed mmap
/// threshold of 1 MiB went further (435–451 MB) but cost a second of system time in page faults,
/// and was left.
public enum MemoryPolicy {
    /// glibc's `M_ARENA_MAX`.
    private static let arenaMax: Int32 = -8

    /// Applies the policy for the whole process; call once, before any thread allocates.
    public static func apply() {
        _ = setAllocatorOption(arenaMax, 1)
    }

    /// Returns the free pages of every malloc arena to the system (after the slices of reading).
    static func releaseFreeMemory() {
        _ = trimAllocator(0)
    }
}

/// glibc's `mallopt` and `malloc_trim` (in `malloc.h`, which Swift's Glibc module leaves out).
@_silgen_name("mallopt")
private func setAllocatorOption(_ option: Int32, _ value: Int32) -> Int32

@_silgen_name("malloc_trim")
private func trimAllocator(_ pad: Int) -> Int32
