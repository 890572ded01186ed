//! Disjoint sets, for grouping items into split units and duplicate clusters.

/// Disjoint sets over `0..n` with path halving and union by size.
pub(crate) struct UnionFind {
    parent: Vec<usize>,
    size: Vec<usize>,
}

impl UnionFind {
    /// `n` singleton sets.
    pub(crate) fn new(n: usize) -> Self {
        UnionFind { parent: (0..n).collect(), size: vec![1; n] }
    }

    /// The representative of `x`'s set.
    pub(crate) fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }

    /// Joins the sets of `a` and `b`.
    pub(crate) fn union(&mut self, a: usize, b: usize) {
        let (mut a, mut b) = (self.find(a), self.find(b));
        if a == b {
            return;
        }
        if self.size[a] < self.size[b] {
            std::mem::swap(&mut a, &mut b);
        }
        self.parent[b] = a;
        self.size[a] += self.size[b];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_transitively_and_keeps_others_apart() {
        let mut sets = UnionFind::new(6);
        sets.union(0, 1);
        sets.union(2, 3);
        sets.union(1, 3);
        assert_eq!(sets.find(0), sets.find(2));
        assert_eq!(sets.find(1), sets.find(3));
        assert_ne!(sets.find(0), sets.find(4));
        assert_ne!(sets.find(4), sets.find(5));
        sets.union(3, 0);
        assert_eq!(sets.find(5), 5);
    }

    #[test]
    fn long_chains_collapse() {
        let n = 10_000;
        let mut sets = UnionFind::new(n);
        for i in 1..n {
            sets.union(i - 1, i);
        }
        let root = sets.find(0);
        assert!((0..n).all(|i| sets.find(i) == root));
    }
}
