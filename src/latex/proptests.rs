//! nabla's own LaTeX is readable by the document reader: random expressions
//! printed by `expr::to_latex` and read back by `latex::parse` are the same
//! expression (the same store id after lowering, or the same canonical form).

use super::lex::tokenize;
use super::parse::{parse_expression, Context};
use crate::domain::Domains;
use crate::expr::{to_latex, ExprId, Node, Store};
use crate::lower::{self, LowerConfig};
use crate::simplify::proptests::{build, tree};
use crate::syntax::ast::File;
use proptest::prelude::*;
use proptest::test_runner::Config;

/// Copies `id` from `from` into `into`, symbols matched by name (the node kinds
/// the generator makes; anything else is `None`).
fn import(from: &Store, id: ExprId, into: &mut Store) -> Option<ExprId> {
    let all = |xs: &[ExprId], into: &mut Store| -> Option<Box<[ExprId]>> {
        xs.iter().map(|&x| import(from, x, into)).collect()
    };
    let node = match from.node(id).clone() {
        Node::Num(r) => Node::Num(r),
        Node::Sym(s) => Node::Sym(into.symbol(from.name(s))),
        Node::Add(xs) => Node::Add(all(&xs, into)?),
        Node::Mul(xs) => Node::Mul(all(&xs, into)?),
        Node::Pow(a, b) => Node::Pow(import(from, a, into)?, import(from, b, into)?),
        Node::Call(f, xs) => Node::Call(f, all(&xs, into)?),
        Node::Apply(f, xs) => {
            let f = into.symbol(from.name(f));
            Node::Apply(f, all(&xs, into)?)
        }
        _ => return None,
    };
    Some(into.add(node))
}

/// Reads `latex` as the document reader does and lowers it into `store`.
fn read_back(latex: &str, store: &mut Store) -> Result<ExprId, String> {
    let (program, id) = read_and_lower(latex)?;
    import(&program.store, id, store).ok_or_else(|| "unexpected node kind".into())
}

fn read_and_lower(latex: &str) -> Result<(lower::Program, ExprId), String> {
    let mut ctx = Context::default();
    ctx.functions.insert("f".into(), 1);
    let toks = tokenize(latex, 0);
    let parsed = parse_expression(&toks, &ctx).map_err(|e| format!("read: {}", e.message))?;
    let config = LowerConfig {
        declare_unknown_as_real: true,
        ..LowerConfig::default()
    };
    let (program, lowered) = lower::lower_standalone(&File::default(), &parsed, config);
    let id = lowered.map_err(|d| format!("lower: {}", d.message))?;
    Ok((program, id))
}

/// Whether `e` holds a power of a literal 0 (no value: the canonical form keeps it).
fn has_undefined_power(store: &Store, e: ExprId) -> bool {
    let mut stack = vec![e];
    while let Some(e) = stack.pop() {
        if let Node::Pow(base, _) = store.node(e) {
            if store.as_num(*base).is_some_and(num_traits::Zero::is_zero) {
                return true;
            }
        }
        stack.extend(store.children(e));
    }
    false
}

fn same(store: &mut Store, a: ExprId, b: ExprId) -> bool {
    if a == b {
        return true;
    }
    let domains = Domains::default();
    let ca = crate::simplify::canonical(store, &domains, a).value;
    let cb = crate::simplify::canonical(store, &domains, b).value;
    let undefined = |store: &Store, e: ExprId, c: ExprId| {
        has_undefined_power(store, e) || has_undefined_power(store, c)
    };
    ca == cb || (undefined(store, a, ca) && undefined(store, b, cb))
}

proptest! {
    #![proptest_config(Config { cases: 400, failure_persistence: None, ..Config::default() })]

    #[test]
    fn latex_print_then_read_is_the_same_expression(t in tree()) {
        let mut store = Store::new();
        let e = build(&mut store, &t);
        let latex = to_latex(&store, e);
        let back = read_back(&latex, &mut store);
        prop_assert!(back.is_ok(), "`{}` does not read back: {:?}", latex, back);
        let back = back.unwrap_or(e);
        prop_assert!(same(&mut store, e, back), "`{}` came back as `{}`", latex, to_latex(&store, back));
    }
}

#[test]
fn printed_names_and_conditions_read_back() {
    // names of several letters are printed upright; conditions joined by \land
    for latex in [
        r"\mathrm{oa}_{k} + \log_2\left(x\right)",
        r"\begin{cases} x & \text{if } x > 0 \land x < 1 \\ 0 & \text{otherwise} \end{cases}",
        r"\operatorname{softplus}\left(x\right) \cdot H\left(x\right)",
    ] {
        let back = read_and_lower(latex).map(|_| ());
        assert_eq!(back, Ok(()), "{latex}");
    }
}
