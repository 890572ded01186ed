//! Disjoint sets, for grouping items into split units and duplicate clusters,
//! and the groups they make, held compactly.

/// Disjoint sets over `0..n` with path halving and union by size. Four bytes
/// a slot: a set per item of a catalog of ten million items.
pub(crate) struct UnionFind {
    parent: Vec<u32>,
    size: Vec<u32>,
}

impl UnionFind {
    /// `n` singleton sets.
    pub(crate) fn new(n: usize) -> Self {
        // Loading refuses more than u32::MAX items (both loaders check).
        let n = u32::try_from(n).expect("at most 2^32 items");
        UnionFind { parent: (0..n).collect(), size: vec![1; n as usize] }
    }

    /// The representative of `x`'s set.
    pub(crate) fn find(&mut self, x: usize) -> usize {
        let mut x = x as u32;
        while self.parent[x as usize] != x {
            self.parent[x as usize] = self.parent[self.parent[x as usize] as usize];
            x = self.parent[x as usize];
        }
        x as usize
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
        self.parent[b] = a as u32;
        self.size[a] += self.size[b];
    }

    /// The sets of `members` (ascending) as groups: members ascending, groups
    /// ordered by their first member. Counted, not hashed: a few bytes per
    /// item.
    pub(crate) fn groups(&mut self, members: &[usize]) -> Groups {
        const NONE: u32 = u32::MAX;
        debug_assert!(members.is_sorted());
        let mut group_of_root = vec![NONE; self.parent.len()];
        let mut group_of_member = Vec::with_capacity(members.len());
        let mut sizes: Vec<u32> = Vec::new();
        for &i in members {
            let root = self.find(i);
            if group_of_root[root] == NONE {
                group_of_root[root] = sizes.len() as u32;
                sizes.push(0);
            }
            let g = group_of_root[root];
            sizes[g as usize] += 1;
            group_of_member.push(g);
        }
        drop(group_of_root);
        let mut starts = Vec::with_capacity(sizes.len() + 1);
        starts.push(0u32);
        for size in &sizes {
            starts.push(starts[starts.len() - 1] + size);
        }
        let mut next: Vec<u32> = starts[..sizes.len()].to_vec();
        let mut grouped = vec![0u32; members.len()];
        for (&i, &g) in members.iter().zip(&group_of_member) {
            grouped[next[g as usize] as usize] = i as u32;
            next[g as usize] += 1;
        }
        Groups::new(grouped, starts)
    }
}

/// Groups of items in compressed form: group `g` is
/// `members[starts[g]..starts[g + 1]]`, ascending, and groups are ordered by
/// their first member. Four bytes per item, whatever the group sizes.
#[derive(Debug, Clone, Default)]
pub struct Groups {
    members: Vec<u32>,
    starts: Vec<u32>,
}

impl Groups {
    /// Groups from their members, one group after another, and where each
    /// starts (with the end of the last as the last start).
    pub(crate) fn new(members: Vec<u32>, starts: Vec<u32>) -> Self {
        debug_assert!(starts.first() == Some(&0) || starts.is_empty());
        debug_assert!(starts.last().is_none_or(|&end| end as usize == members.len()));
        debug_assert!(starts.windows(2).all(|w| w[0] < w[1]), "groups are not empty");
        Groups { members, starts }
    }

    /// The number of groups.
    pub fn len(&self) -> usize {
        self.starts.len().saturating_sub(1)
    }

    /// True when there is no group.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The members of group `g`, ascending.
    pub fn get(&self, g: usize) -> &[u32] {
        &self.members[self.range(g)]
    }

    /// Where group `g`'s members lie in [`Groups::members`].
    pub fn range(&self, g: usize) -> std::ops::Range<usize> {
        self.starts[g] as usize..self.starts[g + 1] as usize
    }

    /// Every group's members, one group after another.
    pub fn members(&self) -> &[u32] {
        &self.members
    }

    /// The first (smallest) member of group `g`.
    pub fn first(&self, g: usize) -> usize {
        self.members[self.starts[g] as usize] as usize
    }

    /// Every group, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &[u32]> + '_ {
        self.starts.windows(2).map(|w| &self.members[w[0] as usize..w[1] as usize])
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
    fn sets_become_groups_in_order_of_their_first_member() {
        let mut sets = UnionFind::new(8);
        sets.union(6, 1);
        sets.union(3, 7);
        sets.union(7, 5);
        let groups = sets.groups(&[1, 2, 3, 5, 6, 7]);
        let listed: Vec<&[u32]> = groups.iter().collect();
        assert_eq!(listed, [&[1, 6][..], &[2], &[3, 5, 7]]);
        assert_eq!((groups.len(), groups.first(2)), (3, 3));
        assert!(sets.groups(&[]).is_empty());
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
