"""The benchmark groups of benches/klpelf.rs: their variants, parameters and targets."""

COPY_SIZES = [16, 256, 4096, 65279, 1000000]
COPY_VARIANTS = ["klpelf", "kernel-c", "floor"]
INGEST_OBJECTS = ["module", "many"]
INGEST_VARIANTS = ["klpelf", "libelf", "goblin"]
FLOOR_LIMIT = 1.10
INGEST_LIMIT = 0.5
IMAGES_VARIANTS = ["klpelf", "cli", "mapped"]
IMAGES_PARAMS = ["xz", "zst", "ko"]
# {label: (variant, baseline variant, parameter, the largest ratio the target allows)}
IMAGES_CASES = {
    "`.ko.xz`: open + decompress + setup vs `xz -dc` piped into setup": ("klpelf", "cli", "xz", 1.0),
    "`.ko.zst`: open + decompress + setup vs `zstd -dc` piped into setup": ("klpelf", "cli", "zst", 1.0),
    "`.ko`: open (mapped) + setup vs setup on bytes in memory": ("klpelf", "mapped", "ko", 1.1),
}
RELOCS_COUNT = 100000
RELOCS_VARIANTS = ["kernel", "klpelf", "klpelf-api"]
RELOCS_LIMIT = 1.0
VERIFY_VARIANTS = ["klpelf", "libcrypto"]
VERIFY_LIMIT = 1.5
