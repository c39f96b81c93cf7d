/* A module-shaped object for the consumer test: a .modinfo, a module struct section, symbols. */
static const char modinfo_name[] __attribute__((section(".modinfo"), used)) = "name=consumer_sample";
static const char modinfo_lp[] __attribute__((section(".modinfo"), used)) = "livepatch=Y";
struct fake_module { char bytes[64]; };
struct fake_module this_module __attribute__((section(".gnu.linkonce.this_module"))) = { { 0 } };
int sample_counter;
int sample_function(int x) { return x * 3 + sample_counter; }
