"""The benchmark groups of benches/klpelf.rs: their variants, parameters and targets."""

COPY_SIZES = [16, 256, 4096, 65279, 1000000]
COPY_VARIANTS = ["klpelf", "kernel-c", "floor"]
INGEST_OBJECTS = ["module", "many"]
INGEST_VARIANTS = ["klpelf", "libelf", "goblin"]
FLOOR_LIMIT = 1.10
INGEST_LIMIT = 0.5
RELOCS_COUNT = 100000
RELOCS_VARIANTS = ["kernel", "klpelf", "klpelf-api"]
RELOCS_LIMIT = 1.0
