//! `${name}` templates: parsed once when a plan is compiled, rendered per request into a
//! buffer the virtual user reuses, so that a constant URL, header or body costs nothing and
//! a templated one costs one copy.
//!
//! Global parameters are constants and are folded into the literal text at compile time;
//! exports and CSV columns live in per-virtual-user [`Vars`] slots. A reference that names
//! neither is kept as written (`${name}`), as PTS sends it.

use bytes::{BufMut, Bytes, BytesMut};
use percent_encoding::{NON_ALPHANUMERIC, percent_encode};

/// What a `${name}` refers to, as the plan compiler decides it.
pub(crate) enum Lookup {
    /// A constant (global parameter): folded into the text.
    Const(String),
    /// A per-virtual-user value (export, CSV column) in this slot.
    Slot(usize),
    /// Unknown: the reference stays literally in the text.
    Unknown,
}

/// How a slot's value is written into the output.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Encoding {
    /// As is (URL, headers, JSON and raw bodies).
    Raw,
    /// Percent-encoded (values of form bodies).
    Form,
}

#[derive(Debug)]
enum Part {
    Lit(Bytes),
    Var { slot: usize, unset: Bytes },
}

/// A parsed template.
#[derive(Debug)]
pub(crate) struct Template {
    parts: Vec<Part>,
    encoding: Encoding,
}

/// Per-virtual-user values of the slots of one relation.
#[derive(Debug, Clone, Default)]
pub(crate) struct Vars(Vec<Option<Bytes>>);

impl Vars {
    /// `count` unset slots.
    pub(crate) fn new(count: usize) -> Self {
        Vars(vec![None; count])
    }

    /// Sets a slot (out-of-range slots are ignored: the compiler never makes them).
    pub(crate) fn set(&mut self, slot: usize, value: Bytes) {
        if let Some(place) = self.0.get_mut(slot) {
            *place = Some(value);
        }
    }

    /// A slot's value, if set.
    pub(crate) fn get(&self, slot: usize) -> Option<&Bytes> {
        self.0.get(slot).and_then(Option::as_ref)
    }
}

impl Template {
    /// Parses `text`, asking `lookup` what each `${name}` is.
    pub(crate) fn parse(
        text: &str,
        encoding: Encoding,
        lookup: &mut dyn FnMut(&str) -> Lookup,
    ) -> Template {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        while let Some(open) = rest.find("${") {
            let Some(close) = rest[open + 2..].find('}') else {
                break;
            };
            literal.push_str(&encode_text(&rest[..open], encoding));
            let name = &rest[open + 2..open + 2 + close];
            let reference = &rest[open..open + 3 + close];
            match lookup(name.trim()) {
                Lookup::Const(value) => literal.push_str(&encode_text(&value, encoding)),
                Lookup::Unknown => literal.push_str(&encode_text(reference, encoding)),
                Lookup::Slot(slot) => {
                    if !literal.is_empty() {
                        parts.push(Part::Lit(Bytes::from(std::mem::take(&mut literal))));
                    }
                    parts.push(Part::Var {
                        slot,
                        unset: Bytes::copy_from_slice(reference.as_bytes()),
                    });
                }
            }
            rest = &rest[open + 3 + close..];
        }
        literal.push_str(&encode_text(rest, encoding));
        if !literal.is_empty() {
            parts.push(Part::Lit(Bytes::from(literal)));
        }
        Template { parts, encoding }
    }

    /// A form body `k1=v1&k2=v2` from fields whose values are templates; names and values
    /// are percent-encoded, the `=` and `&` between them are not.
    pub(crate) fn form(
        fields: &[(String, String)],
        lookup: &mut dyn FnMut(&str) -> Lookup,
    ) -> Template {
        let mut parts = Vec::new();
        for (index, (name, value)) in fields.iter().enumerate() {
            let separator = if index == 0 { "" } else { "&" };
            let name = encode_text(name, Encoding::Form);
            parts.push(Part::Lit(Bytes::from(format!("{separator}{name}="))));
            parts.extend(Template::parse(value, Encoding::Form, lookup).parts);
        }
        Template::merged(parts, Encoding::Form)
    }

    /// Joins adjacent literals, so that a template without slots is one literal.
    fn merged(parts: Vec<Part>, encoding: Encoding) -> Template {
        let mut out: Vec<Part> = Vec::with_capacity(parts.len());
        for part in parts {
            match (out.last_mut(), part) {
                (Some(Part::Lit(previous)), Part::Lit(next)) => {
                    let mut joined = BytesMut::from(&previous[..]);
                    joined.put_slice(&next);
                    *previous = joined.freeze();
                }
                (_, part) => out.push(part),
            }
        }
        Template {
            parts: out,
            encoding,
        }
    }

    /// The text when it has no per-user part.
    pub(crate) fn constant(&self) -> Option<Bytes> {
        match self.parts.as_slice() {
            [] => Some(Bytes::new()),
            [Part::Lit(text)] => Some(text.clone()),
            _ => None,
        }
    }

    /// Renders with `vars`; a constant template is a reference count, not a copy.
    pub(crate) fn render(&self, vars: &Vars, buf: &mut BytesMut) -> Bytes {
        if let Some(text) = self.constant() {
            return text;
        }
        for part in &self.parts {
            match part {
                Part::Lit(text) => buf.put_slice(text),
                Part::Var { slot, unset } => match (vars.get(*slot), self.encoding) {
                    (Some(value), Encoding::Raw) => buf.put_slice(value),
                    (Some(value), Encoding::Form) => {
                        for piece in percent_encode(value, NON_ALPHANUMERIC) {
                            buf.put_slice(piece.as_bytes());
                        }
                    }
                    (None, _) => buf.put_slice(unset),
                },
            }
        }
        buf.split().freeze()
    }
}

fn encode_text(text: &str, encoding: Encoding) -> String {
    match encoding {
        Encoding::Raw => text.to_owned(),
        Encoding::Form => percent_encode(text.as_bytes(), NON_ALPHANUMERIC).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(name: &str) -> Lookup {
        match name {
            "appid" => Lookup::Const("wx 1".into()),
            "token" => Lookup::Slot(0),
            _ => Lookup::Unknown,
        }
    }

    #[test]
    fn constants_fold_and_slots_render() {
        let t = Template::parse(
            "a=${appid}&t=${token}&x=${nope}",
            Encoding::Raw,
            &mut lookup,
        );
        let mut vars = Vars::new(1);
        let mut buf = BytesMut::new();
        assert_eq!(t.render(&vars, &mut buf), "a=wx 1&t=${token}&x=${nope}");
        vars.set(0, Bytes::from_static(b"T1"));
        assert_eq!(t.render(&vars, &mut buf), "a=wx 1&t=T1&x=${nope}");
        let c = Template::parse("/p/${appid}", Encoding::Raw, &mut lookup);
        assert_eq!(c.constant().as_deref(), Some(&b"/p/wx 1"[..]));
    }

    #[test]
    fn form_values_are_encoded_and_broken_references_kept() {
        let fields = [
            ("t".to_owned(), "${token}".to_owned()),
            ("a b".to_owned(), "${appid}".to_owned()),
        ];
        let t = Template::form(&fields, &mut lookup);
        let mut vars = Vars::new(1);
        vars.set(0, Bytes::from_static(b"a b&c"));
        assert_eq!(
            t.render(&vars, &mut BytesMut::new()),
            "t=a%20b%26c&a%20b=wx%201"
        );
        let open = Template::parse("x${token", Encoding::Raw, &mut lookup);
        assert_eq!(open.constant().as_deref(), Some(&b"x${token"[..]));
    }
}
