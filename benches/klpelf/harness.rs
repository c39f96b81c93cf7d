//! How the groups run their cases: under criterion, or one case many times for a profiler.

use std::hint::black_box;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion, SamplingMode, Throughput};
use klpelf_bench_support::{objects, Image};

/// Runs cases under criterion, or one case many times for a profiler (`KLPELF_BENCH_PROFILE`).
pub(crate) struct Harness {
    criterion: Criterion,
    profile: Option<(String, u64)>,
}

/// One benchmark group, under criterion or in profiling mode.
pub(crate) struct Group<'a> {
    name: &'static str,
    bench: Option<BenchmarkGroup<'a, WallTime>>,
    profile: Option<&'a (String, u64)>,
}

impl Harness {
    pub(crate) fn new() -> Harness {
        let profile = std::env::var("KLPELF_BENCH_PROFILE").ok().map(|id| {
            let iters = std::env::var("KLPELF_BENCH_ITERS")
                .ok()
                .and_then(|n| n.parse().ok())
                .unwrap_or(10_000);
            (id, iters)
        });
        let criterion = if profile.is_some() {
            Criterion::default()
        } else {
            Criterion::default().configure_from_args()
        };
        Harness { criterion, profile }
    }

    pub(crate) fn group(&mut self, name: &'static str) -> Group<'_> {
        match &self.profile {
            Some(profile) => Group { name, bench: None, profile: Some(profile) },
            None => {
                Group { name, bench: Some(self.criterion.benchmark_group(name)), profile: None }
            }
        }
    }

    /// Whether any case of group `name` will run (always, under criterion).
    pub(crate) fn wants_group(&self, name: &str) -> bool {
        match &self.profile {
            Some((id, _)) => id.starts_with(&format!("{name}/")),
            None => true,
        }
    }

    pub(crate) fn finish(self) {
        if self.profile.is_none() {
            self.criterion.final_summary();
        }
    }
}

impl Group<'_> {
    /// Whether a case with this variant and parameter will run (always, under criterion).
    fn wants(&self, variant: &str, param: &str) -> bool {
        match self.profile {
            Some((id, _)) => *id == format!("{}/{variant}/{param}", self.name),
            None => true,
        }
    }

    /// Whether any case with this parameter will run.
    pub(crate) fn wants_param(&self, param: &str) -> bool {
        match self.profile {
            Some((id, _)) => {
                id.starts_with(&format!("{}/", self.name)) && id.ends_with(&format!("/{param}"))
            }
            None => true,
        }
    }

    /// Throughput in sections of `image`, for the groups that take a whole object.
    pub(crate) fn per_section_of(&mut self, image: &Image) {
        let sections = objects::section_count(image.bytes()) as u64;
        self.configure(|g| {
            g.throughput(Throughput::Elements(sections));
            g.sampling_mode(SamplingMode::Auto).sample_size(100);
        });
    }

    /// Applies criterion settings to the cases added after this call.
    pub(crate) fn configure(&mut self, f: impl FnOnce(&mut BenchmarkGroup<'_, WallTime>)) {
        if let Some(group) = &mut self.bench {
            f(group);
        }
    }

    pub(crate) fn case<R>(&mut self, variant: &str, param: &str, mut routine: impl FnMut() -> R) {
        if !self.wants(variant, param) {
            return;
        }
        match (&mut self.bench, self.profile) {
            (Some(group), _) => {
                group.bench_function(BenchmarkId::new(variant, param), |b| b.iter(&mut routine));
            }
            (None, Some((id, iters))) => {
                eprintln!("profiling {id}: {iters} iterations");
                for _ in 0..*iters {
                    black_box(routine());
                }
            }
            (None, None) => unreachable!("a group either benches or profiles"),
        }
    }

    pub(crate) fn finish(self) {
        if let Some(group) = self.bench {
            group.finish();
        }
    }
}
