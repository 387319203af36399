//! Maps the trap messages of the spec tests to the traps the loader reports.
//! Matching is by prefix of the message; it never guesses at a message it does not know.

use vv_bundle::abi::Trap;

/// Spec message prefixes and the trap each one names.
const MESSAGES: &[(&str, Trap)] = &[
    ("integer divide by zero", Trap::IntegerDivideByZero),
    ("integer overflow", Trap::IntegerOverflow),
    ("invalid conversion to integer", Trap::InvalidConversionToInteger),
    ("out of bounds memory access", Trap::MemoryOutOfBounds),
    ("undefined element", Trap::UndefinedElement),
    ("uninitialized element", Trap::UninitializedElement),
    ("indirect call type mismatch", Trap::IndirectCallTypeMismatch),
    ("unreachable", Trap::Unreachable),
    ("out of bounds table access", Trap::TableOutOfBounds),
    ("call stack exhausted", Trap::CallStackExhausted),
];

/// The trap a spec message names (`"uninitialized element 2"` → `UninitializedElement`), or
/// `None` for a message this runner does not know.
pub fn trap_for_message(message: &str) -> Option<Trap> {
    MESSAGES.iter().find(|(prefix, _)| message.starts_with(prefix)).map(|&(_, trap)| trap)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_messages_map_by_prefix() {
        assert_eq!(trap_for_message("integer divide by zero"), Some(Trap::IntegerDivideByZero));
        assert_eq!(trap_for_message("uninitialized element 2"), Some(Trap::UninitializedElement));
        assert_eq!(trap_for_message("uninitialized element"), Some(Trap::UninitializedElement));
        assert_eq!(trap_for_message("undefined element"), Some(Trap::UndefinedElement));
        assert_eq!(trap_for_message("unreachable executed"), Some(Trap::Unreachable));
        assert_eq!(trap_for_message("out of bounds table access"), Some(Trap::TableOutOfBounds));
        assert_eq!(trap_for_message("out of bounds memory access"), Some(Trap::MemoryOutOfBounds));
        assert_eq!(trap_for_message("call stack exhausted"), Some(Trap::CallStackExhausted));
    }

    #[test]
    fn unknown_messages_are_not_guessed() {
        assert_eq!(trap_for_message("data segment dropped"), None);
        assert_eq!(trap_for_message("out of bounds"), None);
        assert_eq!(trap_for_message(""), None);
    }
}
