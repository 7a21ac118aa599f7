//! The CPU and memory pairs Fargate accepts.

/// The memory sizes (MiB) Fargate offers for one CPU size.
struct MemoryRange {
    cpu: u64,
    sizes: MemorySizes,
}

enum MemorySizes {
    Listed(&'static [u64]),
    Stepped { first: u64, last: u64, step: u64 },
}

const fn stepped(cpu: u64, first: u64, last: u64, step: u64) -> MemoryRange {
    MemoryRange {
        cpu,
        sizes: MemorySizes::Stepped { first, last, step },
    }
}

const SIZES: [MemoryRange; 7] = [
    MemoryRange {
        cpu: 256,
        sizes: MemorySizes::Listed(&[512, 1024, 2048]),
    },
    stepped(512, 1024, 4096, 1024),
    stepped(1024, 2048, 8192, 1024),
    stepped(2048, 4096, 16384, 1024),
    stepped(4096, 8192, 30720, 1024),
    stepped(8192, 16384, 61440, 4096),
    stepped(16384, 32768, 122880, 8192),
];

/// The CPU sizes, for messages.
pub fn cpu_sizes() -> String {
    let sizes: Vec<String> = SIZES.iter().map(|size| size.cpu.to_string()).collect();
    join_alternatives(&sizes)
}

pub fn is_cpu_size(cpu: u64) -> bool {
    SIZES.iter().any(|size| size.cpu == cpu)
}

pub fn is_memory_size(memory: u64) -> bool {
    SIZES.iter().any(|size| fits(size, memory))
}

/// Why `memory` does not go with `cpu`, or `None` when Fargate accepts the pair.
pub fn pair_problem(cpu: u64, memory: u64) -> Option<String> {
    let size = SIZES.iter().find(|size| size.cpu == cpu)?;
    if fits(size, memory) {
        return None;
    }
    Some(format!(
        "{memory} MiB is not a Fargate size for {cpu} CPU units ({})",
        memory_sizes(size)
    ))
}

/// The memory sizes Fargate offers for `cpu`, for messages.
pub fn memory_sizes_for(cpu: u64) -> Option<String> {
    SIZES.iter().find(|size| size.cpu == cpu).map(memory_sizes)
}

fn fits(size: &MemoryRange, memory: u64) -> bool {
    match size.sizes {
        MemorySizes::Listed(sizes) => sizes.contains(&memory),
        MemorySizes::Stepped { first, last, step } => {
            (first..=last).contains(&memory) && (memory - first).is_multiple_of(step)
        }
    }
}

fn memory_sizes(size: &MemoryRange) -> String {
    match size.sizes {
        MemorySizes::Listed(sizes) => {
            let sizes: Vec<String> = sizes.iter().map(u64::to_string).collect();
            join_alternatives(&sizes)
        }
        MemorySizes::Stepped { first, last, step } => {
            format!("{first} to {last} in steps of {step}")
        }
    }
}

/// A size written as ECS's console and guide write it, in the unit the macro takes: `1 vCPU`
/// as 1024 CPU units (`units` "vCPU"), `2 GB` as 2048 MiB (`units` "GB"); ECS converts these
/// ("Troubleshoot Amazon ECS task definition invalid CPU or memory errors": 1 GB = 1024 MiB).
/// `None` when `text` is not a number and that unit, or makes no whole number.
pub fn from_units(text: &str, units: &[&str]) -> Option<u64> {
    let text = text.trim();
    let number = units.iter().find_map(|unit| {
        let split = text.len().checked_sub(unit.len())?;
        let (number, written) = text.split_at_checked(split)?;
        written
            .eq_ignore_ascii_case(unit)
            .then_some(number.trim_end())
    })?;
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    let scaled = number.parse::<f64>().ok()? * 1024.0;
    (scaled.fract() == 0.0 && scaled > 0.0 && scaled <= 1e9).then_some(scaled as u64)
}

/// "a, b or c".
pub fn join_alternatives(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [only] => only.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_exactly_the_documented_pairs() {
        let accepted: Vec<(u64, u64)> = [256, 512, 1024, 2048, 4096, 8192, 16384]
            .into_iter()
            .flat_map(|cpu| (1..=240).map(move |gib| (cpu, gib * 512)))
            .filter(|(cpu, memory)| pair_problem(*cpu, *memory).is_none())
            .collect();
        let count = |cpu: u64| accepted.iter().filter(|(c, _)| *c == cpu).count();
        assert_eq!(count(256), 3);
        assert_eq!(count(512), 4);
        assert_eq!(count(1024), 7);
        assert_eq!(count(2048), 13);
        assert_eq!(count(4096), 23);
        assert_eq!(count(8192), 12);
        assert_eq!(count(16384), 12);
        assert!(accepted.contains(&(4096, 30720)));
        assert!(!accepted.contains(&(4096, 31744)));
        assert!(!accepted.contains(&(8192, 18432)));
    }

    #[test]
    fn reads_sizes_written_in_vcpus_and_gigabytes() {
        let cpu = |text| from_units(text, &["vCPU"]);
        let memory = |text| from_units(text, &["GB", "GiB"]);
        assert_eq!(cpu("1 vCPU"), Some(1024));
        assert_eq!(cpu("2vcpu"), Some(2048));
        assert_eq!(cpu("0.25 vCPU"), Some(256));
        assert_eq!(cpu(".5 VCPU"), Some(512));
        assert_eq!(memory("2 GB"), Some(2048));
        assert_eq!(memory("0.5GiB"), Some(512));
        for text in [
            "1024",
            "vCPU",
            "1 CPU",
            "-1 vCPU",
            "1e3 vCPU",
            "1.0001 vCPU",
            "x GB",
            "ü",
        ] {
            assert_eq!(cpu(text).or(memory(text)), None, "{text}");
        }
    }

    #[test]
    fn explains_the_sizes_that_would_fit() {
        assert_eq!(
            pair_problem(256, 8192).as_deref(),
            Some("8192 MiB is not a Fargate size for 256 CPU units (512, 1024 or 2048)")
        );
        assert_eq!(
            pair_problem(1024, 1024).as_deref(),
            Some(
                "1024 MiB is not a Fargate size for 1024 CPU units (2048 to 8192 in steps of 1024)"
            )
        );
        assert_eq!(
            pair_problem(300, 512),
            None,
            "an unknown CPU size is reported on its own"
        );
        assert!(is_cpu_size(16384) && !is_cpu_size(300));
    }
}
