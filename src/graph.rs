//! Graph algorithms shared by the callgrind reader and writer (inclusive
//! costs under recursion) and the cause analysis (callers before callees).

/// Tarjan's algorithm without recursion (call chains can be long): the
/// component index of every node of a graph in compressed rows, with
/// `start.len() - 1` nodes (below 2^32) and the edges of node `i` leading to
/// `target(k)` for `k` in `start[i]..start[i + 1]`. Self-loops do not
/// matter. A component is numbered after every component it reaches, so
/// following edges leads to lower numbers.
pub(crate) fn strongly_connected(start: &[usize], target: impl Fn(usize) -> usize) -> Vec<u32> {
    let n = start.len().saturating_sub(1);
    const UNVISITED: u32 = u32::MAX;
    let mut index = vec![UNVISITED; n];
    let mut low = vec![0u32; n];
    let mut on_stack = vec![false; n];
    let mut component = vec![UNVISITED; n];
    let mut stack: Vec<u32> = Vec::new();
    let mut work: Vec<(u32, usize)> = Vec::new();
    let mut next_index = 0u32;
    let mut next_component = 0u32;
    for root in 0..n {
        if index[root] != UNVISITED {
            continue;
        }
        work.push((root as u32, start[root]));
        index[root] = next_index;
        low[root] = next_index;
        next_index += 1;
        stack.push(root as u32);
        on_stack[root] = true;
        while let Some(&mut (node, ref mut cursor)) = work.last_mut() {
            let node = node as usize;
            if *cursor < start[node + 1] {
                let to = target(*cursor);
                *cursor += 1;
                if index[to] == UNVISITED {
                    index[to] = next_index;
                    low[to] = next_index;
                    next_index += 1;
                    stack.push(to as u32);
                    on_stack[to] = true;
                    work.push((to as u32, start[to]));
                } else if on_stack[to] {
                    low[node] = low[node].min(index[to]);
                }
                continue;
            }
            work.pop();
            if let Some(&(parent, _)) = work.last() {
                let parent = parent as usize;
                low[parent] = low[parent].min(low[node]);
            }
            if low[node] == index[node] {
                while let Some(member) = stack.pop() {
                    let member = member as usize;
                    on_stack[member] = false;
                    component[member] = next_component;
                    if member == node {
                        break;
                    }
                }
                next_component += 1;
            }
        }
    }
    component
}
