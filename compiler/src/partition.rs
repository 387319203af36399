//! Splits a program's functions into partitions of bounded size, each built as its own OpenCL
//! program: callers and the callees they call most stay together.
//!
//! Device compilers take time that grows with program size (NVIDIA's about 1.2 ms a line), and
//! separate programs build in parallel. A call that crosses partitions costs a kernel launch, so
//! the split follows the call graph. Small functions (memcpy, strlen, the wrappers of malloc and
//! printf) are copied into every partition that calls them, so only calls between the others can
//! cross. Those are weighted by how often they are estimated to run (calls in loops, under
//! callers that run often; a call through small functions counts as a call between their large
//! ends). Clusters grow along the heaviest calls up to the size bound and are packed into
//! partitions; then functions move between partitions while that lowers the weight of the calls
//! that cross and the bound allows.

use std::collections::{BTreeMap, BTreeSet};

/// One function: its size in lines and its direct calls (callee, weight of the call site).
pub struct Node<'a> {
    pub lines: usize,
    pub calls: &'a [(u32, u64)],
}

/// Which functions each partition holds.
#[derive(Debug, PartialEq)]
pub struct Partitioning {
    /// Each function's home partition, by id: where the host resumes a VM stopped in it.
    pub home: Vec<u32>,
    /// The function ids of each partition, ascending: its own and the small functions they call.
    pub members: Vec<Vec<u32>>,
}

/// Functions of at most this share of the bound are copied into every partition that calls them.
const SMALL_SHARE: usize = 24;

/// Passes of moving functions between partitions (each pass tries every function once).
const REFINE_PASSES: usize = 16;

/// Pair swaps are tried where at most this many functions are placed (the pass is quadratic).
const MAX_SWAP_FUNCTIONS: usize = 512;

/// One partition when `max_lines` is 0 or the functions fit in it; else partitions of at most
/// about `max_lines` lines with the copies of small functions (or one function, where a function
/// alone is larger), numbered in order of their first function.
pub fn assign(nodes: &[Node], max_lines: usize) -> Partitioning {
    // Copies are known only once the large functions are placed: tighten the bound on those
    // until the largest partition with its copies fits.
    if max_lines == 0 {
        return assign_within(nodes, 0, 0);
    }
    let mut bound = max_lines;
    loop {
        let split = assign_within(nodes, bound, max_lines / SMALL_SHARE);
        let largest = split.members.iter().map(|m| m.iter().map(|&f| nodes[f as usize].lines).sum::<usize>()).max().unwrap_or(0);
        if largest <= max_lines || bound <= max_lines / 4 {
            return split;
        }
        bound = bound * 15 / 16;
    }
}

/// `assign` with the bound `max_lines` on large functions, small ones being those of at most
/// `small_lines`.
fn assign_within(nodes: &[Node], max_lines: usize, small_lines: usize) -> Partitioning {
    let n = nodes.len();
    let total: usize = nodes.iter().map(|n| n.lines).sum();
    let whole = || Partitioning { home: vec![0; n], members: vec![(0..n as u32).collect()] };
    if max_lines == 0 || total <= max_lines {
        return whole();
    }
    // Small functions are copied to where they are called from; those no large function reaches
    // (the entry, `_start`, often `main`) are placed like large ones instead.
    let mut small: Vec<bool> = nodes.iter().map(|f| f.lines <= small_lines).collect();
    let mut reached = vec![false; n];
    let mut stack: Vec<usize> = (0..n).filter(|&i| !small[i]).collect();
    while let Some(f) = stack.pop() {
        for (c, _) in callees(nodes, f) {
            if small[c] && !reached[c] {
                reached[c] = true;
                stack.push(c);
            }
        }
    }
    for i in 0..n {
        small[i] &= reached[i];
    }
    let large: Vec<usize> = (0..n).filter(|&i| !small[i]).collect();
    if large.is_empty() {
        return whole();
    }
    let edges = heaviest_first(nodes, &small);

    // Merge along the heaviest edges while the merged cluster stays within the bound.
    let mut sets = DisjointSets::new(nodes.iter().map(|f| f.lines).collect());
    for &(_, a, b) in &edges {
        let (ra, rb) = (sets.find(a), sets.find(b));
        if ra != rb && sets.size[ra] + sets.size[rb] <= max_lines {
            sets.union(ra, rb);
        }
    }

    // Pack clusters, largest first, each into the least loaded partition it fits in (a new one
    // where none has room).
    let roots: Vec<usize> = large.iter().copied().filter(|&i| sets.find(i) == i).collect();
    let mut clusters: Vec<(usize, usize)> = roots.into_iter().map(|r| (sets.size[r], r)).collect();
    clusters.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)));
    let mut load: Vec<usize> = Vec::new();
    let mut bin_of_root = vec![usize::MAX; n];
    for (size, root) in clusters {
        let bin = match (0..load.len()).filter(|&b| load[b] + size <= max_lines).min_by_key(|&b| (load[b], b)) {
            Some(b) => b,
            None => {
                load.push(0);
                load.len() - 1
            }
        };
        load[bin] += size;
        bin_of_root[root] = bin;
    }
    let mut part = vec![usize::MAX; n];
    for &i in &large {
        part[i] = bin_of_root[sets.find(i)];
    }
    refine(nodes, &edges, &mut part, &mut load, max_lines);

    // Number the partitions in order of their first function.
    let mut number = vec![u32::MAX; load.len()];
    let mut next = 0;
    let mut members: Vec<BTreeSet<u32>> = Vec::new();
    for &i in &large {
        if number[part[i]] == u32::MAX {
            number[part[i]] = next;
            next += 1;
            members.push(BTreeSet::new());
        }
        members[number[part[i]] as usize].insert(i as u32);
    }

    // Each partition also holds the small functions its functions reach through small ones.
    for part in members.iter_mut() {
        let mut stack: Vec<usize> = part.iter().map(|&f| f as usize).collect();
        while let Some(f) = stack.pop() {
            for (c, _) in callees(nodes, f) {
                if small[c] && part.insert(c as u32) {
                    stack.push(c);
                }
            }
        }
    }
    let mut home = vec![u32::MAX; n];
    for (p, part) in members.iter().enumerate().rev() {
        for &f in part {
            home[f as usize] = p as u32;
        }
    }
    for (f, h) in home.iter_mut().enumerate() {
        if *h == u32::MAX {
            *h = 0;
            members[0].insert(f as u32);
        }
    }
    Partitioning { home, members: members.into_iter().map(|m| m.into_iter().collect()).collect() }
}

/// Moves single functions, and swaps pairs of functions, between partitions while that lowers
/// the weight of the edges that cross partitions and the partitions have room.
fn refine(nodes: &[Node], edges: &[(f64, usize, usize)], part: &mut [usize], load: &mut [usize], max_lines: usize) {
    let mut adjacent: Vec<BTreeMap<usize, f64>> = vec![BTreeMap::new(); nodes.len()];
    for &(w, a, b) in edges {
        *adjacent[a].entry(b).or_insert(0.0) += w;
        *adjacent[b].entry(a).or_insert(0.0) += w;
    }
    let placed: Vec<usize> = (0..nodes.len()).filter(|&v| part[v] != usize::MAX).collect();
    // The weight of v's edges into partition q.
    let toward = |part: &[usize], v: usize, q: usize| -> f64 { adjacent[v].iter().filter(|(&u, _)| part[u] == q).map(|(_, &w)| w).sum() };
    for _ in 0..REFINE_PASSES {
        let mut moved = false;
        for &v in &placed {
            let here = part[v];
            let stay = toward(part, v, here);
            let best = (0..load.len())
                .filter(|&q| q != here && load[q] + nodes[v].lines <= max_lines)
                .map(|q| (toward(part, v, q) - stay, q))
                .filter(|&(gain, _)| gain > 0.0)
                .max_by(|x, y| x.0.total_cmp(&y.0).then(y.1.cmp(&x.1)));
            if let Some((_, q)) = best {
                load[here] -= nodes[v].lines;
                load[q] += nodes[v].lines;
                part[v] = q;
                moved = true;
            }
        }
        if placed.len() <= MAX_SWAP_FUNCTIONS {
            for (i, &v) in placed.iter().enumerate() {
                for &u in &placed[i + 1..] {
                    let (p, q) = (part[v], part[u]);
                    if p == q || load[p] - nodes[v].lines + nodes[u].lines > max_lines || load[q] - nodes[u].lines + nodes[v].lines > max_lines {
                        continue;
                    }
                    let between = adjacent[v].get(&u).copied().unwrap_or(0.0);
                    let gain = toward(part, v, q) - toward(part, v, p) + toward(part, u, p) - toward(part, u, q) - 2.0 * between;
                    if gain > 0.0 {
                        load[p] = load[p] - nodes[v].lines + nodes[u].lines;
                        load[q] = load[q] - nodes[u].lines + nodes[v].lines;
                        part[v] = q;
                        part[u] = p;
                        moved = true;
                    }
                }
            }
        }
        if !moved {
            break;
        }
    }
}

/// The calls of function `f` to functions of the module: callee and weight.
fn callees<'a>(nodes: &'a [Node], f: usize) -> impl Iterator<Item = (usize, u64)> + 'a {
    let n = nodes.len();
    nodes[f].calls.iter().map(|&(c, w)| (c as usize, w)).filter(move |&(c, _)| c < n)
}

/// How many times more a function in a cycle of calls (recursion) is taken to run, like a loop.
const RECURSION_WEIGHT: f64 = 8.0;

/// How often each function is estimated to run: once, plus its callers' estimates times the
/// weights of their call sites to it, times `RECURSION_WEIGHT` for a function in a cycle. The
/// calls that close a cycle are left out, so the estimate is a sum over the acyclic call graph
/// in topological order.
fn frequencies(nodes: &[Node]) -> Vec<f64> {
    let n = nodes.len();
    let callees = |f: usize| callees(nodes, f);
    // Iterative depth-first search: post-order, and the edges that lead back onto the path.
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        OnPath,
        Done,
    }
    let mut mark = vec![Mark::New; n];
    let mut post = Vec::with_capacity(n);
    let mut back = std::collections::HashSet::new();
    let mut recursive = vec![false; n];
    for root in 0..n {
        if mark[root] != Mark::New {
            continue;
        }
        mark[root] = Mark::OnPath;
        let mut path = vec![(root, 0usize)];
        while let Some(&mut (f, ref mut next)) = path.last_mut() {
            if let Some((c, _)) = callees(f).nth(*next) {
                *next += 1;
                match mark[c] {
                    Mark::New => {
                        mark[c] = Mark::OnPath;
                        path.push((c, 0));
                    }
                    Mark::OnPath => {
                        back.insert((f, c));
                        for &(g, _) in path.iter().rev() {
                            recursive[g] = true;
                            if g == c {
                                break;
                            }
                        }
                    }
                    Mark::Done => {}
                }
            } else {
                mark[f] = Mark::Done;
                post.push(f);
                path.pop();
            }
        }
    }
    let mut freq = vec![1.0f64; n];
    for &f in post.iter().rev() {
        if recursive[f] {
            freq[f] *= RECURSION_WEIGHT;
        }
        for (c, w) in callees(f) {
            if !back.contains(&(f, c)) {
                freq[c] += freq[f] * w as f64;
            }
        }
    }
    freq
}

/// Call edges between distinct large functions, direct or through small ones, with their
/// estimated run counts (caller's frequency times the call sites' weights along the way, summed),
/// heaviest first (ties in function order, so the split is deterministic).
fn heaviest_first(nodes: &[Node], small: &[bool]) -> Vec<(f64, usize, usize)> {
    let freq = frequencies(nodes);
    let mut weights = BTreeMap::new();
    for a in (0..nodes.len()).filter(|&a| !small[a]) {
        // Through small functions: each reached once, along the first path found.
        let mut seen = BTreeSet::new();
        let mut stack = vec![(a, freq[a])];
        while let Some((f, w)) = stack.pop() {
            for (c, cw) in callees(nodes, f) {
                let w = w * cw as f64;
                if small[c] {
                    if seen.insert(c) {
                        stack.push((c, w));
                    }
                } else if c != a {
                    *weights.entry((a.min(c), a.max(c))).or_insert(0.0f64) += w;
                }
            }
        }
    }
    let mut edges: Vec<(f64, usize, usize)> = weights.into_iter().map(|((a, b), w)| (w, a, b)).collect();
    edges.sort_by(|x, y| y.0.total_cmp(&x.0).then((x.1, x.2).cmp(&(y.1, y.2))));
    edges
}

/// Union-find over functions with cluster sizes in lines.
struct DisjointSets {
    parent: Vec<usize>,
    size: Vec<usize>,
}

impl DisjointSets {
    fn new(size: Vec<usize>) -> Self {
        DisjointSets { parent: (0..size.len()).collect(), size }
    }

    fn find(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }

    fn union(&mut self, a: usize, b: usize) {
        let (keep, gone) = if a < b { (a, b) } else { (b, a) };
        self.parent[gone] = keep;
        self.size[keep] += self.size[gone];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nodes<'a>(lines: &[usize], calls: &'a [Vec<(u32, u64)>]) -> Vec<Node<'a>> {
        lines.iter().zip(calls).map(|(&lines, calls)| Node { lines, calls }).collect()
    }

    fn home(lines: &[usize], calls: &[Vec<(u32, u64)>], max: usize) -> Vec<u32> {
        assign(&nodes(lines, calls), max).home
    }

    #[test]
    fn small_programs_stay_whole() {
        let calls = vec![vec![(1, 1)], vec![]];
        assert_eq!(assign(&nodes(&[10, 20], &calls), 100), Partitioning { home: vec![0, 0], members: vec![vec![0, 1]] });
        assert_eq!(home(&[1000, 2000], &calls, 0), vec![0, 0], "0 means never split");
    }

    #[test]
    fn hot_callers_and_callees_stay_together() {
        // 0 calls 1 in a loop and 3 once; 2 calls 3 in a loop. Two partitions of at most 60.
        let calls = vec![vec![(1, 64), (3, 1)], vec![], vec![(3, 8)], vec![]];
        let p = home(&[30, 30, 30, 30], &calls, 60);
        assert_eq!(p[0], p[1]);
        assert_eq!(p[2], p[3]);
        assert_ne!(p[0], p[2]);
        assert_eq!(p[0], 0, "numbered in order of first function");
    }

    #[test]
    fn partitions_are_bounded() {
        // A chain of 10 equal functions, each calling the next: 3 partitions of up to 40 lines.
        let calls: Vec<Vec<(u32, u64)>> = (0..10).map(|i| if i < 9 { vec![(i + 1, 1)] } else { vec![] }).collect();
        let p = assign(&nodes(&[10; 10], &calls), 40);
        assert_eq!(p.members.len(), 3);
        for (i, m) in p.members.iter().enumerate() {
            assert!(m.len() * 10 <= 40, "partition {i}: {m:?}");
            assert!(m.iter().all(|&f| p.home[f as usize] == i as u32));
        }
    }

    #[test]
    fn callees_of_hot_functions_are_hot() {
        // 0 calls 1 in a loop; 1 calls 2 once; 0 calls 3 once, 3 calls 4 once. Each edge alone
        // has weight 1 except 0->1, but 1->2 runs as often as 1 does: 1 and 2 stay together.
        let calls = vec![vec![(1, 64), (3, 1)], vec![(2, 1)], vec![], vec![(4, 1)], vec![]];
        let p = home(&[10, 30, 30, 30, 30], &calls, 70);
        assert_eq!(p[1], p[2], "{p:?}");
        assert_eq!(p[3], p[4], "{p:?}");
    }

    #[test]
    fn recursion_counts_like_a_loop() {
        // 0 calls 1 once; 1 calls itself and 2; 2 calls 3, which calls 2 back.
        let calls = vec![vec![(1, 1)], vec![(1, 1), (2, 1)], vec![(3, 1)], vec![(2, 1)]];
        let f = frequencies(&nodes(&[1, 1, 1, 1], &calls));
        assert_eq!(f[0], 1.0);
        assert_eq!(f[1], 2.0 * RECURSION_WEIGHT);
        assert_eq!(f[2], (1.0 + f[1]) * RECURSION_WEIGHT);
        assert_eq!(f[3], (1.0 + f[2]) * RECURSION_WEIGHT);
    }

    #[test]
    fn small_functions_are_copied_to_their_callers() {
        // 0 and 1 (large, apart) both call 2 (small), which calls 3 (small); 4 (small) is called
        // by nobody.
        let calls = vec![vec![(2, 8)], vec![(2, 1)], vec![(3, 1)], vec![], vec![]];
        let p = assign(&nodes(&[100, 100, 2, 2, 2], &calls), 128);
        assert_eq!(p.home, vec![0, 1, 0, 0, 0]);
        assert_eq!(p.members, vec![vec![0, 2, 3, 4], vec![1, 2, 3]]);
    }

    #[test]
    fn a_chain_of_small_functions_leads_to_its_hot_callee() {
        // 0 (small) calls 1 (small) 4 times, which calls 2 (large) twice each time; 3 (large)
        // is called once by 0. The cut is 0 -> 3, the lightest edge: 0, 1 and 2 together.
        let calls = vec![vec![(1, 4), (3, 1)], vec![(2, 2)], vec![], vec![]];
        let p = assign(&nodes(&[3, 3, 100, 100], &calls), 128);
        assert_eq!(p.home, vec![0, 0, 0, 1]);
        assert_eq!(p.members, vec![vec![0, 1, 2], vec![3]]);
    }

    #[test]
    fn a_function_larger_than_the_bound_gets_a_partition() {
        let calls = vec![vec![(1, 1), (2, 1)], vec![], vec![]];
        let p = home(&[10, 500, 10], &calls, 100);
        assert_ne!(p[1], p[0]);
    }
}
