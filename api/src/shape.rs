//! Our own measure of a GraphQL document before juniper executes it: how deep its selections
//! nest (through fragments) and how many aliases it uses. juniper bounds tokens, fields and
//! parser depth; these two caps stop cheap-looking queries that fan out (100 aliases of one
//! expensive field) or dig deep through connections.

use std::collections::HashMap;

use graphql_parser::query::{
    Definition, FragmentDefinition, OperationDefinition, Selection, SelectionSet,
};

use crate::config::Limits;

/// Fragment expansion is walked at most this many selections, whatever the document.
const MAX_WALK: usize = 20_000;

#[derive(Debug, PartialEq, Eq)]
pub struct Shape {
    pub depth: usize,
    pub aliases: usize,
    /// `query:me`, `mutation:signIn` …: the metrics label (operation type and first root field).
    pub operation: String,
}

impl Shape {
    /// A message naming the exceeded cap, if any.
    pub fn exceeds(&self, limits: &Limits) -> Option<String> {
        if self.depth > limits.max_depth {
            return Some(format!(
                "查询嵌套过深（{} 层，上限 {} 层）",
                self.depth, limits.max_depth
            ));
        }
        if self.aliases > limits.max_aliases {
            return Some(format!(
                "别名过多（{} 个，上限 {} 个）",
                self.aliases, limits.max_aliases
            ));
        }
        None
    }
}

struct Walk<'d> {
    fragments: HashMap<&'d str, &'d FragmentDefinition<'d, &'d str>>,
    aliases: usize,
    visited: usize,
    stack: Vec<&'d str>,
}

impl<'d> Walk<'d> {
    /// Depth of a selection set (1 for a set of leaf fields).
    fn depth(&mut self, set: &'d SelectionSet<'d, &'d str>) -> usize {
        let mut deepest = 0;
        for selection in &set.items {
            self.visited += 1;
            if self.visited > MAX_WALK {
                return usize::MAX / 2;
            }
            let depth = match selection {
                Selection::Field(field) => {
                    if field.alias.is_some() {
                        self.aliases += 1;
                    }
                    if field.selection_set.items.is_empty() {
                        0
                    } else {
                        self.depth(&field.selection_set)
                    }
                }
                Selection::InlineFragment(inline) => {
                    self.depth(&inline.selection_set).saturating_sub(1)
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.fragment_name;
                    // A cycle is a validation error juniper reports; do not loop on it here.
                    match self.fragments.get(name) {
                        Some(fragment) if !self.stack.contains(&name) => {
                            self.stack.push(name);
                            let d = self.depth(&fragment.selection_set).saturating_sub(1);
                            self.stack.pop();
                            d
                        }
                        _ => 0,
                    }
                }
            };
            deepest = deepest.max(depth);
        }
        deepest.saturating_add(1)
    }
}

/// Measures the operation that would run; `Err` when the document does not parse (juniper then
/// reports the syntax error itself).
pub fn measure(query: &str, operation_name: Option<&str>) -> Result<Shape, ()> {
    let document = graphql_parser::parse_query::<&str>(query).map_err(|_| ())?;
    let mut walk = Walk {
        fragments: HashMap::new(),
        aliases: 0,
        visited: 0,
        stack: Vec::new(),
    };
    let mut operations = Vec::new();
    for definition in &document.definitions {
        match definition {
            Definition::Fragment(f) => {
                walk.fragments.insert(f.name, f);
            }
            Definition::Operation(op) => operations.push(op),
        }
    }
    let chosen = match operation_name {
        Some(name) => operations.iter().find(|op| name_of(op) == Some(name)),
        None => operations.first(),
    };
    let Some(op) = chosen else {
        return Ok(Shape {
            depth: 0,
            aliases: 0,
            operation: "invalid".to_owned(),
        });
    };
    let (kind, set) = match op {
        OperationDefinition::SelectionSet(s) => ("query", s),
        OperationDefinition::Query(q) => ("query", &q.selection_set),
        OperationDefinition::Mutation(m) => ("mutation", &m.selection_set),
        OperationDefinition::Subscription(s) => ("subscription", &s.selection_set),
    };
    let root = set
        .items
        .iter()
        .find_map(|s| match s {
            Selection::Field(f) => Some(f.name),
            _ => None,
        })
        .unwrap_or("fragment");
    let depth = walk.depth(set);
    Ok(Shape {
        depth,
        aliases: walk.aliases,
        operation: format!("{kind}:{root}"),
    })
}

fn name_of<'d>(op: &OperationDefinition<'d, &'d str>) -> Option<&'d str> {
    match op {
        OperationDefinition::SelectionSet(_) => None,
        OperationDefinition::Query(q) => q.name,
        OperationDefinition::Mutation(m) => m.name,
        OperationDefinition::Subscription(s) => s.name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_counts_nested_selections_through_fragments() {
        let shape = measure("{ me { wallet { balance } } }", None).unwrap();
        assert_eq!(shape.depth, 3);
        assert_eq!(shape.operation, "query:me");
        let shape = measure(
            "query Q { me { ...W } } fragment W on User { wallet { balance } }",
            Some("Q"),
        )
        .unwrap();
        assert_eq!(shape.depth, 3);
    }

    #[test]
    fn aliases_are_counted_and_capped() {
        let many: String = (0..100).map(|i| format!("a{i}: me {{ id }} ")).collect();
        let shape = measure(&format!("{{ {many} }}"), None).unwrap();
        assert_eq!(shape.aliases, 100);
        assert!(shape.exceeds(&Limits::default()).is_some());
    }

    #[test]
    fn fragment_cycles_terminate() {
        let shape = measure(
            "{ me { ...A } } fragment A on User { ...B } fragment B on User { ...A }",
            None,
        )
        .unwrap();
        assert!(shape.depth <= 3);
    }

    #[test]
    fn syntax_errors_are_left_to_juniper() {
        assert!(measure("{ me { ", None).is_err());
    }
}
