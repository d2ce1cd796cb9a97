//! Shared helpers for the cross-check tests: a tiny seeded generator, so
//! runs are reproducible without extra dependencies.

use std::cmp::Ordering;

/// xorshift64* — deterministic, good enough for test-case generation.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
    pub fn digits(&mut self) -> String {
        match self.below(10) {
            0 => "0".into(),
            1 => format!("0{}", self.below(10)),
            2 => format!("{}", 10 + self.below(90)),
            3 => format!("{}", 2020_0101 + self.below(1000)),
            _ => format!("{}", self.below(10)),
        }
    }
}

pub fn sym(o: Ordering) -> &'static str {
    match o {
        Ordering::Less => "<",
        Ordering::Equal => "=",
        Ordering::Greater => ">",
    }
}
