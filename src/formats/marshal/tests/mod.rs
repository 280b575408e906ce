//! Every valid sample below was written by a real CPython (the few
//! hand-made inputs say so). `PY311: EXPR` means the output of
//! `~/.pyenv/versions/3.11.7/bin/python -c 'import marshal, sys;
//! print(marshal.dumps(EXPR).hex())'`; `PY27`, `PY313` etc. name the
//! other pyenv interpreters (2.7 prints with `binascii.hexlify`).

use std::borrow::Cow;
use std::rc::Rc;

use super::errors::{fail, Res};
use super::reader::Reader;
use super::*;
use crate::error::{ParseError, Position};

mod tokens;

// The whole-input readers the tests check the decoder with; profdiff itself
// reads through a `Stream`.

/// Reads one whole marshal object that must fill `data` exactly.
fn read_value(data: &[u8]) -> Result<Value<'_>, ParseError> {
    read_value_boxed(data).map_err(|e| *e)
}

fn read_value_boxed(data: &[u8]) -> Res<Value<'_>> {
    if data.is_empty() {
        return Err(fail(0, "empty input: no marshal data"));
    }
    let mut reader = Reader::new(data);
    let Some(value) = reader.read(1)? else {
        return Err(fail(
            0,
            "unexpected NULL object (type code '0') at the top level",
        ));
    };
    reader.finish()?;
    Ok(value)
}

/// Reads a top-level dict entry by entry, calling `f(key, value, key_offset)`
/// for each, where `key_offset` is the byte offset at which the key starts.
///
/// Only one entry is alive at a time, apart from what the ref table must keep
/// for later back-references. An error from `f` is returned unchanged, so the
/// caller can report its own offsets. A back-reference to the dict itself is
/// rejected, since the dict is never materialised.
fn for_each_dict_entry<'a, F>(data: &'a [u8], mut f: F) -> Result<(), ParseError>
where
    F: FnMut(Value<'a>, Value<'a>, u64) -> Result<(), ParseError>,
{
    let mut stream = Stream::open_dict(data)?;
    loop {
        let key_offset = stream.offset();
        // As in CPython, a NULL in place of either the key or the value ends
        // the dict.
        let Some(key) = stream.read_value(2)? else {
            break;
        };
        let Some(value) = stream.read_value(2)? else {
            break;
        };
        f(key, value, key_offset)?;
    }
    stream.finish()
}

fn hex(text: &str) -> Vec<u8> {
    let text: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    assert!(text.len().is_multiple_of(2), "odd hex length");
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex digit"))
        .collect()
}

fn read_hex(text: &str) -> Value<'static> {
    let data: &'static [u8] = hex(text).leak();
    read_value(data).unwrap_or_else(|e| panic!("{e}"))
}

fn read_err(data: &[u8]) -> ParseError {
    match read_value(data) {
        Ok(value) => panic!("expected an error, got {value:?}"),
        Err(error) => error,
    }
}

fn assert_err(data: &[u8], offset: u64, needle: &str) {
    let error = read_err(data);
    assert_eq!(error.position, Position::Byte(offset), "{error}");
    assert!(error.message.contains(needle), "{error}");
}

fn s(text: &str) -> Value<'_> {
    Value::Str(Cow::Borrowed(text))
}

fn tuple<'a>(items: impl IntoIterator<Item = Value<'a>>) -> Value<'a> {
    Value::Tuple(items.into_iter().collect())
}

fn items<'v, 'a>(value: &'v Value<'a>) -> &'v [Value<'a>] {
    match value {
        Value::Tuple(items) | Value::List(items) | Value::Set(items) | Value::FrozenSet(items) => {
            items
        }
        other => panic!("not a sequence: {other:?}"),
    }
}

fn code(value: &Value<'_>) -> (String, Option<String>, String, i32) {
    match value {
        Value::Code(c) => (
            c.name.to_string(),
            c.qualname.as_ref().map(|q| q.to_string()),
            c.filename.to_string(),
            c.firstlineno,
        ),
        other => panic!("not a code object: {other:?}"),
    }
}

/// Collects what `for_each_dict_entry` hands out.
fn entries(data: &[u8]) -> Vec<(Value<'_>, Value<'_>, u64)> {
    let mut out = Vec::new();
    for_each_dict_entry(data, |k, v, at| {
        out.push((k, v, at));
        Ok(())
    })
    .unwrap_or_else(|e| panic!("{e}"));
    out
}

#[test]
fn singletons() {
    // PY311: (None, True, False, ..., StopIteration)
    let v = read_hex("a9054e54462e53");
    let expected = [
        Value::None,
        Value::Bool(true),
        Value::Bool(false),
        Value::Ellipsis,
        Value::StopIteration,
    ];
    assert_eq!(v, tuple(expected));
}

#[test]
fn ints() {
    // PY311: (5, -5, 2**31-1, -2**31)
    let v = read_hex("a904e905000000e9fbffffff69ffffff7f6900000080");
    let expected = [5, -5, i64::from(i32::MAX), i64::from(i32::MIN)].map(Value::Int);
    assert_eq!(v, tuple(expected));
    // PY27: (2**40, -2**40), written as INT64 by 2.7.
    let v = read_hex("2802000000490000000000010000490000000000ffffff");
    assert_eq!(v, tuple([Value::Int(1 << 40), Value::Int(-(1 << 40))]));
}

#[test]
fn longs() {
    // PY311: 2**33+123
    assert_eq!(
        read_hex("ec030000007b0000000800"),
        Value::Int((1 << 33) + 123)
    );
    // PY311: 2**100
    let v = read_hex("ec070000000000000000000000000000000004");
    let Value::BigInt(big) = &v else {
        panic!("{v:?}")
    };
    assert!(!big.negative);
    assert_eq!(&*big.digits, &[0, 0, 0, 0, 0, 0, 1 << 10]);
    assert_eq!(v.as_f64(), Some(2f64.powi(100)));
    assert_eq!(v.as_i64(), None);
    assert_eq!(v.type_name(), "int");
    // PY311: -(2**70)
    let v = read_hex("ecfbffffff00000000000000000004");
    assert_eq!(v.as_f64(), Some(-(2f64.powi(70))));
    // PY311: (2**63-1, -2**63, 2**63, -2**63-1, 0)
    let v = read_hex(
        "a9056c05000000ff7fff7fff7fff7f07006cfbffffff000000000000000008006c05000000000000\
         000000000008006cfbffffff01000000000000000800e900000000",
    );
    let v = items(&v);
    assert_eq!(v[0], Value::Int(i64::MAX));
    assert_eq!(v[1], Value::Int(i64::MIN));
    assert!(matches!(&v[2], Value::BigInt(b) if !b.negative));
    assert!(matches!(&v[3], Value::BigInt(b) if b.negative && b.digits[0] == 1));
    assert_eq!(v[3].as_f64(), Some(-(2f64.powi(63))));
    assert_eq!(v[4], Value::Int(0));
}

#[test]
fn floats_and_complex() {
    // PY311: 1.5
    assert_eq!(read_hex("e7000000000000f83f"), Value::Float(1.5));
    // PY311: marshal.dumps(1.5, 1)
    assert_eq!(read_hex("6603312e35"), Value::Float(1.5));
    // PY311: marshal.dumps((float('inf'), -0.0, 1e300, 2.5e-10), 1)
    let v = read_hex(
        "28040000006603696e6666022d306617312e30303030303030303030303030303031652b33303066\
         16322e35303030303030303030303030303032652d3130",
    );
    let v: Vec<f64> = items(&v).iter().map(|x| x.as_f64().unwrap()).collect();
    assert_eq!(v[0], f64::INFINITY);
    assert!(v[1] == 0.0 && v[1].is_sign_negative());
    assert_eq!(v[2], 1e300);
    assert_eq!(v[3], 2.5e-10);
    // PY311: 1+2j
    assert_eq!(
        read_hex("f9000000000000f03f0000000000000040"),
        Value::Complex(1.0, 2.0)
    );
    // PY311: marshal.dumps(1.5-2j, 1)
    assert_eq!(read_hex("7803312e35022d32"), Value::Complex(1.5, -2.0));
    assert_eq!(Value::Int(3).as_f64(), Some(3.0));
}

#[test]
fn strings() {
    // PY311: b'ab\xff' (bytes are decoded lossily)
    assert_eq!(read_hex("f3030000006162ff"), s("ab\u{fffd}"));
    // PY311: ('hello world', 'h\xe9llo \u20ac', sys.intern('h\xe9llo'), '\ud800x')
    let v = read_hex(
        "a9047a0b68656c6c6f20776f726c64750a00000068c3a96c6c6f20e282acf40600000068c3a96c6c\
         6f7504000000eda08078",
    );
    let v = items(&v);
    assert!(matches!(&v[0], Value::Str(Cow::Borrowed("hello world"))));
    assert_eq!(v[1].as_str(), Some("héllo €"));
    assert_eq!(v[2].as_str(), Some("héllo"));
    // A lone surrogate (surrogatepass) cannot be UTF-8 text.
    assert_eq!(v[3].as_str(), Some("\u{fffd}\u{fffd}\u{fffd}x"));
    // PY311: ''.join(['a']*300) -> 'a' with the ref flag
    let v = read_hex(&["e12c010000", &"61".repeat(300)].concat());
    assert_eq!(v.as_str(), Some("a".repeat(300).as_str()));
    // PY311: sys.intern('b'*300) -> 'A' with the ref flag
    let v = read_hex(&["c12c010000", &"62".repeat(300)].concat());
    assert_eq!(v.as_str(), Some("b".repeat(300).as_str()));
    assert_eq!(v.as_cow().map(|c| c.len()), Some(300));
    // PY27: u'h\xe9llo'
    assert_eq!(read_hex("750600000068c3a96c6c6f"), s("héllo"));
    // CPython reads the ASCII types as Latin-1 (hand-made: 'z' b'\xe9').
    assert_eq!(read_value(b"z\x01\xe9").unwrap(), s("é"));
}

#[test]
fn containers() {
    // PY311: ((1, 2), [3, 4], {5}, frozenset({6}), frozenset(), {7: 8})
    let v = read_hex(
        "a9062902e901000000e9020000005b02000000e903000000e9040000003c01000000e90500000\
         03e01000000e9060000003e000000007be907000000e90800000030",
    );
    let expected = tuple([
        tuple([Value::Int(1), Value::Int(2)]),
        Value::List(vec![Value::Int(3), Value::Int(4)].into()),
        Value::Set(vec![Value::Int(5)].into()),
        Value::FrozenSet(vec![Value::Int(6)].into()),
        Value::FrozenSet(Vec::new().into()),
        Value::Dict(vec![(Value::Int(7), Value::Int(8))].into()),
    ]);
    assert_eq!(v, expected);
    assert_eq!(items(&v)[5].as_dict().map(|d| d.len()), Some(1));
    // PY311: tuple([None]*256) -> '(' since it does not fit ')'
    let v = read_hex(&["a800010000", &"4e".repeat(256)].concat());
    assert_eq!(v.as_tuple().map(|t| t.len()), Some(256));
    // A slice (version 5, Python 3.14, not installed here), hand-made
    // from the spec: slice(1, 2, None).
    let v = read_value(b":i\x01\x00\x00\x00i\x02\x00\x00\x00N").unwrap();
    assert_eq!(
        v,
        Value::Slice(Rc::new([Value::Int(1), Value::Int(2), Value::None]))
    );
}

#[test]
fn python2_tuples_interned_strings_and_string_refs() {
    // PY27: ('abc', 'abc', intern('xyz'), 'xyz', 'not interned!', 2**40, -2**40, 7, (1, 2))
    let v = read_hex(
        "280900000074030000006162635200000000740300000078797a5201000000730d0000006e6f7420\
         696e7465726e656421490000000000010000490000000000ffffff6907000000280200000069010000\
         006902000000",
    );
    let expected = tuple([
        s("abc"),
        s("abc"),
        s("xyz"),
        s("xyz"),
        s("not interned!"),
        Value::Int(1 << 40),
        Value::Int(-(1 << 40)),
        Value::Int(7),
        tuple([Value::Int(1), Value::Int(2)]),
    ]);
    assert_eq!(v, expected);
}

#[test]
fn refs_share_instead_of_copying() {
    // PY311: x = ('a', 'b'); [x, x]
    let v = read_hex("5b02000000a902da0161da01627200000000");
    let v = items(&v);
    assert_eq!(v[0], tuple([s("a"), s("b")]));
    let (Value::Tuple(first), Value::Tuple(second)) = (&v[0], &v[1]) else {
        panic!("{v:?}")
    };
    assert!(Rc::ptr_eq(first, second));
}

#[test]
fn refs_are_numbered_in_pre_order() {
    // PY311: {'x': (1, 'x')}: the dict is ref 0 although it ends last,
    // so 'x' is ref 1 and the final `r 1` means 'x', not the tuple.
    let v = read_hex("fbda0178a902e901000000720100000030");
    let expected = Value::Dict(vec![(s("x"), tuple([Value::Int(1), s("x")]))].into());
    assert_eq!(v, expected);
}

/// PY3x: c = compile('\n\ndef f(): pass', 'prog.py', 'exec');
/// marshal.dumps((c, c.co_consts[0])).hex()
const CODE_SAMPLES: &[(&str, &str)] = &[
    (
        "2.7",
        "28020000006300000000000000000100000040000000730d0000006400008400005a0000640100532802\
         000000630000000000000000010000004300000073040000006400005328010000004e2800000000280000\
         000028000000002800000000730700000070726f672e70797401000000660300000074000000004e2801\
         0000005200000000280000000028000000002800000000730700000070726f672e707974080000003c6d6f\
         64756c653e030000005201000000630000000000000000010000004300000073040000006400005328010000\
         004e2800000000280000000028000000002800000000730700000070726f672e70795200000000030000005201000000",
    ),
    (
        "3.6",
        "a902e30000000000000000000000000200000040000000730c0000006400640184005a00640253002903\
         e3000000000000000000000000010000004300000073040000006400530029014ea900720300000072030000\
         007203000000fa0770726f672e7079da016603000000730000000072050000004e290172050000007203000000\
         720300000072030000007204000000da083c6d6f64756c653e0300000073000000007202000000",
    ),
    (
        "3.7",
        "2902e30000000000000000000000000200000040000000730c0000006400640184005a00640253002903\
         e3000000000000000000000000010000004300000073040000006400530029014ea900720200000072020000\
         007202000000fa0770726f672e7079da016603000000f30000000072040000004e290172040000007202000000\
         720200000072020000007203000000da083c6d6f64756c653e0300000072050000007201000000",
    ),
    (
        "3.8",
        "2902e3000000000000000000000000000000000200000040000000730c0000006400640184005a006402\
         53002903e300000000000000000000000000000000010000004300000073040000006400530029014ea90072\
         0200000072020000007202000000fa0770726f672e7079da016603000000f30000000072040000004e290172\
         040000007202000000720200000072020000007203000000da083c6d6f64756c653e0300000072050000007201000000",
    ),
    (
        "3.10",
        "2902e3000000000000000000000000000000000200000040000000730c0000006400640184005a006402\
         53002903e300000000000000000000000000000000010000004300000073040000006400530029014ea90072\
         0200000072020000007202000000fa0770726f672e7079da0166030000007302000000040072040000004e29\
         0172040000007202000000720200000072020000007203000000da083c6d6f64756c653e0100000073020000\
         000c027201000000",
    ),
    (
        "3.11",
        "2902e30000000000000000000000000100000000000000f30c0000009700640084005a00640153002902\
         e30000000000000000000000000100000003000000f30600000097006400530029014ea9007204000000f300\
         000000fa0770726f672e7079da0166720700000003000000730600000080008000800072050000004e290172\
         07000000720400000072050000007206000000fa083c6d6f64756c653e7208000000010000007312000000f0\
         03010101f00600010e800d800d800d800d72050000007202000000",
    ),
    (
        "3.12",
        "2902e30000000000000000000000000100000000000000f30a0000009700640084005a0079012902e300\
         00000000000000000000000000000003000000f3040000009700790029014ea9007204000000f300000000\
         fa0770726f672e7079da01667207000000030000007302000000810072050000004e290172070000007204\
         00000072050000007206000000fa083c6d6f64756c653e720800000001000000730a000000f003010101f3\
         0600010e72050000007202000000",
    ),
    (
        "3.13",
        "2902e30000000000000000000000000100000000000000f30a000000950053001a00720067012902e300\
         00000000000000000000000100000003000000f3040000009500670029014ea9007204000000f300000000\
         da0770726f672e7079da016672070000000300000073040000008000881472050000004e29017207000000\
         720400000072050000007206000000da083c6d6f64756c653e720800000001000000730a000000f0030101\
         01f30600010e72050000007202000000",
    ),
];

#[test]
fn code_objects_of_every_layout() {
    for (version, sample) in CODE_SAMPLES {
        let v = read_hex(sample);
        let v = items(&v);
        let modern = matches!(*version, "3.11" | "3.12" | "3.13");
        let qualname = |q: &str| modern.then(|| q.to_string());
        // Python: c.co_firstlineno
        let module_line = if version.starts_with("3.1") { 1 } else { 3 };
        assert_eq!(
            code(&v[0]),
            (
                "<module>".into(),
                qualname("<module>"),
                "prog.py".into(),
                module_line
            ),
            "{version}"
        );
        assert_eq!(
            code(&v[1]),
            ("f".into(), qualname("f"), "prog.py".into(), 3),
            "{version}"
        );
    }
}

/// PY311: prog.py is `def fib(n): ...; def main(): fib(5); main()`;
/// `python -m cProfile -o c.prof prog.py`, then the file's hex.
const CPROFILE_311: &str = "\
    fb2903fa0770726f672e7079e901000000fa083c6d6f64756c653e2905720200000072020000006768b12b65cd53b33e\
    67365df1025cf8e03e7b2903fa017ee900000000fa1f3c6275696c742d696e206d6574686f64206275696c74696e732e\
    657865633e2904720200000072020000006768b12b65cd53b33e67365df1025cf8e03e3029037201000000e904000000\
    da046d61696e2905720200000072020000006783002865a38aaa3e6713ce97acc41bdd3e7b2903720100000072020000\
    0072030000002904720200000072020000006783002865a38aaa3e6713ce97acc41bdd3e302903720100000072020000\
    00da0366696229057202000000e90f0000006703cef23f70cad93e6703cef23f70cad93e7b2903720100000072070000\
    007208000000290472020000007202000000678f357c3b24dda83e6703cef23f70cad93e290372010000007202000000\
    72090000002904e90e000000e90200000067514783b8cbaed63e67514783b8cbaed63e30290372040000007205000000\
    fa303c6d6574686f64202764697361626c6527206f6620275f6c7370726f662e50726f66696c657227206f626a656374\
    733e290572020000007202000000673a8c30e28e79853e673a8c30e28e79853e7b302903720400000072050000007206\
    000000290572020000007202000000676ec7e3880640c43e67124f2aa55d08e63e7b3030";

/// PY27: the same, with `python2 -m cProfile -o` (uses `t` and `R`).
const CPROFILE_27: &str = "\
    7b280300000074010000007e690000000073300000003c6d6574686f64202764697361626c6527206f6620275f6c7370\
    726f662e50726f66696c657227206f626a656374733e280500000069010000006901000000678dedb5a0f7c6b03e678d\
    edb5a0f7c6b03e7b302803000000730700000070726f672e7079690100000074080000003c6d6f64756c653e28050000\
    0069010000006901000000678dedb5a0f7c6b03e678dedb5a0f7c6d03e7b302803000000730700000070726f672e7079\
    690400000074040000006d61696e280500000069010000006901000000678dedb5a0f7c6b03e6754e41071732ac93e7b\
    2803000000730700000070726f672e707969010000005201000000280400000069010000006901000000678dedb5a0f7\
    c6b03e6754e41071732ac93e302803000000730700000070726f672e7079690100000074030000006669622805000000\
    6901000000690f000000678dedb5a0f7c6c03e678dedb5a0f7c6c03e7b2803000000730700000070726f672e70796904\
    0000005202000000280400000069010000006901000000670000000000000000678dedb5a0f7c6c03e28030000007307\
    00000070726f672e7079690100000052030000002804000000690e0000006902000000678dedb5a0f7c6c03e678dedb5\
    a0f7c6c03e3030";

/// PY313: the same, with `python -m profile -o` (a code object as a key).
const PROFILE_313: &str = "\
    fba903da0770726f66696c65e900000000da0870726f66696c6572290572030000007203000000720300000072030000\
    007b30a90372020000007203000000e30000000000000000000000000200000000000000f31e000000950053001a0072\
    0053011a0072015c0122003500000000000000200067022903e30100000000000000000000000500000003000000f34c\
    0000009500550053013a12000061020000550024005b010000000000000000550053022d0a000035010000000000005b\
    010000000000000000550053012d0a000035010000000000002d000000240029034ee902000000e901000000a901da03\
    6669622901da016e730100000020da0770726f672e7079720d000000720d0000000100000073280000008000d8101190\
    4193058831d004329c339871a03199759b3aac03a841b001a945ab0ad11b32d00432f300000000e30000000000000000\
    000000000300000003000000f31a00000095005b010000000000000000530135010000000000002000670029024ee905\
    000000720c000000a9007210000000720f000000da046d61696e72150000000400000073090000008000dc0407880185\
    4672100000004e2902720d000000721500000072140000007210000000720f000000da083c6d6f64756c653e72160000\
    00010000007316000000f003010101f202010133f20601010bf106000105850672100000002905720b000000720b0000\
    00e7008c1e2b9db4f53ee78050aecd1f03243f7b7201000000720b00000030a903da0072030000007a04657865632905\
    720b000000720b000000e7008007f4e5accf3ee700c2af1b602d013f7b7205000000720b00000030a903720f00000072\
    0b00000072160000002905720b000000720b000000e70040c417ebf0c73ee70094de782365fe3e7b7219000000720b00\
    000030a903720f000000e90400000072150000002905720b000000720b000000e700003fdc2e64c03ee7000ce6150667\
    fb3e7b721d000000720b00000030a903720f000000720b000000720d0000002905720b000000e90f000000e7002c5e3a\
    805af93ee7002c5e3a805af93e7ba903720f000000720b000000720d000000e90e0000007220000000720b00000030a9\
    03721a0000007203000000fa0a73657470726f66696c652905720b000000720b000000e7001dbd4268021a3fe7001dbd\
    4268021a3f7b7205000000720b0000003030";

fn key_text(key: &Value<'_>) -> String {
    let parts = key.as_tuple().expect("key tuple");
    let name = match &parts[2] {
        Value::Code(c) => format!("<code {}>", c.name),
        other => other.as_str().expect("name").to_string(),
    };
    format!(
        "{}:{}:{}",
        parts[0].as_str().expect("file"),
        parts[1].as_i64().expect("line"),
        name
    )
}

#[test]
fn streams_a_python3_cprofile_dump() {
    let data = hex(CPROFILE_311);
    let all = entries(&data);
    let keys: Vec<String> = all.iter().map(|(k, _, _)| key_text(k)).collect();
    assert_eq!(
        keys,
        [
            "prog.py:1:<module>",
            "prog.py:4:main",
            "prog.py:1:fib",
            "~:0:<method 'disable' of '_lsprof.Profiler' objects>",
            "~:0:<built-in method builtins.exec>",
        ]
    );
    // Python: (1, 15, 6.149000000000001e-06, 6.149000000000001e-06,
    //   {('prog.py', 4, 'main'): (1, 1, 7.410000000000001e-07, 6.149000000000001e-06),
    //    ('prog.py', 1, 'fib'): (14, 2, 5.4080000000000006e-06, 5.4080000000000006e-06)})
    let fib = all[2].1.as_tuple().expect("value tuple");
    assert_eq!(&fib[..2], &[Value::Int(1), Value::Int(15)]);
    assert_eq!(fib[2], Value::Float(6.149000000000001e-06));
    let callers = fib[4].as_dict().expect("callers");
    assert_eq!(key_text(&callers[1].0), "prog.py:1:fib");
    assert_eq!(
        callers[1].1,
        tuple([
            Value::Int(14),
            Value::Int(2),
            Value::Float(5.4080000000000006e-06),
            Value::Float(5.4080000000000006e-06),
        ])
    );
    // The first key starts right after the dict's type byte.
    assert_eq!(all[0].2, 1);
    assert_eq!(data[all[1].2 as usize], b')');
}

#[test]
fn streams_a_python2_cprofile_dump() {
    let data = hex(CPROFILE_27);
    let all = entries(&data);
    let keys: Vec<String> = all.iter().map(|(k, _, _)| key_text(k)).collect();
    assert_eq!(
        keys,
        [
            "~:0:<method 'disable' of '_lsprof.Profiler' objects>",
            "prog.py:1:<module>",
            "prog.py:4:main",
            "prog.py:1:fib",
        ]
    );
    // Python 2: ('prog.py', 1, 'fib') -> (1, 15, 2e-06, 2e-06,
    //   {('prog.py', 1, 'fib'): (14, 2, 2e-06, 2e-06), ('prog.py', 4, 'main'): (1, 1, 0.0, 2e-06)})
    let fib = all[3].1.as_tuple().expect("value tuple");
    assert_eq!(&fib[..2], &[Value::Int(1), Value::Int(15)]);
    let callers = fib[4].as_dict().expect("callers");
    let mut callers: Vec<(String, Value<'_>)> = callers
        .iter()
        .map(|(k, v)| (key_text(k), v.as_tuple().expect("caller stats")[0].clone()))
        .collect();
    callers.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        callers,
        [
            ("prog.py:1:fib".to_string(), Value::Int(14)),
            ("prog.py:4:main".to_string(), Value::Int(1)),
        ]
    );
}

#[test]
fn streams_a_profile_module_dump_with_a_code_key() {
    let data = hex(PROFILE_313);
    let all = entries(&data);
    let keys: Vec<String> = all.iter().map(|(k, _, _)| key_text(k)).collect();
    assert_eq!(
        keys,
        [
            "profile:0:profiler",
            "profile:0:<code <module>>",
            ":0:exec",
            "prog.py:1:<module>",
            "prog.py:4:main",
            "prog.py:1:fib",
            ":0:setprofile",
        ]
    );
    let code_key = all[1].0.as_tuple().expect("key");
    assert_eq!(
        code(&code_key[2]),
        (
            "<module>".into(),
            Some("<module>".into()),
            "prog.py".into(),
            1
        )
    );
    // The profile module's callers are plain counts.
    let fib = all[5].1.as_tuple().expect("value");
    assert_eq!(
        fib[4].as_dict().map(|d| d[0].1.clone()),
        Some(Value::Int(14))
    );
}

#[test]
fn streams_a_synthetic_python2_dump() {
    // PY27: {('prog.py', 4, 'fib'): (1, 3, 0.5, 0.75, {('prog.py', 9, 'main'): (3, 1, 0.5, 0.75)})}
    let data = hex(
        "7b2803000000730700000070726f672e70796904000000740300000066696228050000006901000000\
         690300000067000000000000e03f67000000000000e83f7b2803000000730700000070726f672e7079\
         690900000074040000006d61696e28040000006903000000690100000067000000000000e03f670000\
         00000000e83f3030",
    );
    let all = entries(&data);
    assert_eq!(all.len(), 1);
    assert_eq!(key_text(&all[0].0), "prog.py:4:fib");
    let callers = all[0].1.as_tuple().expect("value")[4].clone();
    assert_eq!(
        callers,
        Value::Dict(
            vec![(
                tuple([s("prog.py"), Value::Int(9), s("main")]),
                tuple([
                    Value::Int(3),
                    Value::Int(1),
                    Value::Float(0.5),
                    Value::Float(0.75)
                ]),
            )]
            .into()
        )
    );
}

#[test]
fn callback_errors_pass_through_unchanged() {
    let data = hex(CPROFILE_311);
    let mut seen = 0;
    let result = for_each_dict_entry(&data, |_, _, _| {
        seen += 1;
        Err(ParseError::at_line(42, "caller says no"))
    });
    assert_eq!(result, Err(ParseError::at_line(42, "caller says no")));
    assert_eq!(seen, 1);
}

#[test]
fn stream_rejects_what_is_not_one_dict() {
    let check = |data: &[u8], offset: u64, needle: &str| {
        let error = for_each_dict_entry(data, |_, _, _| Ok(())).unwrap_err();
        assert_eq!(error.position, Position::Byte(offset), "{error}");
        assert!(error.message.contains(needle), "{error}");
    };
    check(b"", 0, "empty input");
    check(b")\x00", 0, "found type code 0x29 (')'), a tuple");
    check(b"\xa9\x00", 0, "0xa9 (')' with the ref flag)");
    check(b"{0\x00", 2, "trailing data: 1 byte after");
    check(
        b"{N",
        2,
        "truncated: input ends where an object was expected",
    );
    // A reference back to the streamed dict itself (hand-made).
    check(
        b"\xfbNr\x00\x00\x00\x000",
        2,
        "reference to the top-level dict",
    );
    let data = hex(CPROFILE_311);
    for len in 0..data.len() {
        let result = for_each_dict_entry(&data[..len], |_, _, _| Ok(()));
        assert!(result.is_err(), "prefix of {len} bytes accepted");
    }
}

/// PY311: c = compile('def f(): pass', 'prog.py', 'exec'); (None, True,
/// False, ..., StopIteration, 5, -5, 2**40, 2**100, 1.5, 1+2j, b'ab',
/// 'hi', 'h\xe9', 'x'*300, [1], {2}, frozenset({3}), {4: 'v'}, c)
fn mixed_py3() -> Vec<u8> {
    let head = "29144e54462e53e905000000e9fbffffffec030000000000000000046c070000000000000000000000\
                000000000004e7000000000000f83ff9000000000000f03f0000000000000040f3020000006162da02\
                6869f50300000068c3a9c12c010000";
    let tail = "5b01000000e9010000003c01000000e9020000003e01000000e9030000007be904000000da017630e3\
                0000000000000000000000000100000000000000f30c0000009700640084005a00640153002902630000\
                000000000000000000000100000003000000f30600000097006400530029014ea9007211000000f30000\
                0000fa0770726f672e7079da0166721400000001000000730600000080008000800072120000004e2901\
                7214000000721100000072120000007213000000fa083c6d6f64756c653e7215000000010000007310000\
                000f003010101d8000d800d800d800d800d7212000000";
    hex(&[head, &"78".repeat(300), tail].concat())
}

/// PY27: c = compile('def f(): pass', 'prog.py', 'exec'); (None, 5,
/// 2**40, 2**100, 1.5, 1+2j, 'ab', u'h\xe9', ['fib', 'fib'], {4: 'v'}, c)
fn mixed_py2() -> Vec<u8> {
    hex(
        "280b0000004e69050000004900000000000100006c070000000000000000000000000000000004670000\
         00000000f83f79000000000000f03f000000000000004074020000006162750300000068c3a95b020000\
         00740300000066696252010000007b69040000007401000000763063000000000000000001000000400000\
         00730d0000006400008400005a0000640100532802000000630000000000000000010000004300000073040\
         000006400005328010000004e2800000000280000000028000000002800000000730700000070726f672e\
         70797401000000660100000074000000004e28010000005203000000280000000028000000002800000000\
         730700000070726f672e707974080000003c6d6f64756c653e010000005204000000",
    )
}

#[test]
fn mixed_samples_read_in_full() {
    let data = mixed_py3();
    let v = read_value(&data).unwrap();
    let v = items(&v);
    assert_eq!(v.len(), 20);
    assert_eq!(v[13], s("h\u{e9}"));
    assert_eq!(v[14].as_str().map(str::len), Some(300));
    assert_eq!(code(&v[19]).0, "<module>");
    let data = mixed_py2();
    let v = read_value(&data).unwrap();
    let v = items(&v);
    assert_eq!(v[8], Value::List(vec![s("fib"), s("fib")].into()));
    assert_eq!(code(&v[10]), ("<module>".into(), None, "prog.py".into(), 1));
}

#[test]
fn every_truncation_is_an_error() {
    for data in [mixed_py3(), mixed_py2()] {
        for len in 0..data.len() {
            let error = read_err(&data[..len]);
            // The offset names a byte of the input (or its end).
            assert!(matches!(error.position, Position::Byte(at) if at <= len as u64));
        }
    }
}

#[test]
fn bad_codes_and_bad_payloads() {
    assert_err(b"", 0, "empty input");
    assert_err(b"Q", 0, "unknown type code 0x51 ('Q')");
    assert_err(b"\xd1", 0, "unknown type code 0xd1 ('Q' with the ref flag)");
    assert_err(b")\x01\x05", 2, "unknown type code 0x05");
    assert_err(b"?", 0, "TYPE_UNKNOWN");
    assert_err(b"NN", 1, "trailing data: 1 byte after the end");
    assert_err(b"0", 0, "unexpected NULL object");
    assert_err(
        b")\x010",
        2,
        "unexpected NULL object (type code '0') inside a tuple",
    );
    assert_err(
        b"i\x01\x00",
        0,
        "truncated: int needs 4 bytes but only 2 bytes left",
    );
    assert_err(b"l\x01\x00\x00\x00\x00\x00", 0, "unnormalized long");
    assert_err(b"l\x01\x00\x00\x00\xff\xff", 0, "out of range in long");
    assert_err(b"f\x03abc", 0, "invalid float text \"abc\"");
    assert_err(b"R\x00\x00\x00\x00", 0, "invalid string reference 0");
    assert_err(b")\x01c\x00", 2, "truncated: code object header");
}

#[test]
fn huge_claims_fail_before_allocating() {
    let claim = b"\xff\xff\xff\x7f";
    for (code, needle) in [
        (
            b'(',
            "tuple of 2147483647 items claimed but only 5 bytes left",
        ),
        (b'[', "list of 2147483647 items"),
        (b'<', "set of 2147483647 items"),
        (b'>', "frozenset of 2147483647 items"),
        (
            b's',
            "string of 2147483647 bytes claimed but only 5 bytes left",
        ),
        (b'u', "string of 2147483647 bytes"),
        (b'a', "string of 2147483647 bytes"),
        (b'l', "long of 2147483647 digits claimed"),
    ] {
        let data = [&[code][..], claim, b"NNNNN"].concat();
        assert_err(&data, 0, needle);
    }
    // The most negative digit count has the largest magnitude.
    assert_err(b"l\x00\x00\x00\x80\x01\x00", 0, "long of 2147483648 digits");
    assert_err(b"(\xff\xff\xff\xffN", 0, "negative tuple size -1");
    assert_err(b"s\xfe\xff\xff\xffN", 0, "negative string length -2");
    assert_err(
        b"z\xffabc",
        0,
        "string of 255 bytes claimed but only 3 bytes left",
    );
    assert_err(
        b")\xffN",
        0,
        "tuple of 255 items claimed but only 1 byte left",
    );
}

#[test]
fn bad_references() {
    assert_err(
        b"r\x05\x00\x00\x00",
        0,
        "invalid reference 5 (only 0 objects so far)",
    );
    assert_err(b"r\xff\xff\xff\xff", 0, "invalid reference -1");
    assert_err(
        b")\x02\xe9\x01\x00\x00\x00r\x01\x00\x00\x00",
        7,
        "invalid reference 1",
    );
    // A flagged frozenset whose item refers to the frozenset itself.
    assert_err(
        b"\xbe\x01\x00\x00\x00r\x00\x00\x00\x00",
        5,
        "invalid reference 0: it points to a frozenset",
    );
    // CPython would build a recursive tuple; this reader refuses.
    assert_err(
        b"\xa9\x01r\x00\x00\x00\x00",
        2,
        "recursive data is not supported",
    );
}

#[test]
fn nesting_is_bounded() {
    let nested = |levels: usize| [&b"(\x01\x00\x00\x00".repeat(levels)[..], b"N"].concat();
    assert!(read_value(&nested(MAX_DEPTH - 1)).is_ok());
    assert_err(
        &nested(MAX_DEPTH),
        5 * MAX_DEPTH as u64,
        "nesting deeper than 256 levels",
    );
    assert_err(&nested(100_000), 5 * MAX_DEPTH as u64, "nesting deeper");
    // Every container kind at the limit, which also checks that the
    // recursion fits a test thread's stack in debug builds.
    for (open, close) in [
        (&b"[\x01\x00\x00\x00"[..], &b""[..]),
        (b")\x01", b""),
        (b">\x01\x00\x00\x00", b""),
        (b"{N", b"0"),
        (b":NN", b""),
    ] {
        let levels = MAX_DEPTH - 1;
        let data = [open.repeat(levels), b"N".to_vec(), close.repeat(levels)].concat();
        assert!(read_value(&data).is_ok());
    }
}

/// A 3.11-layout code object whose co_consts holds `inner` (hand-made:
/// zero header ints, empty strings and tuples).
fn code_311(inner: Option<Vec<u8>>) -> Vec<u8> {
    let mut out = b"c".to_vec();
    out.extend([0u8; 20]);
    out.extend(b"z\x00");
    match inner {
        Some(inner) => {
            out.extend(b")\x01");
            out.extend(inner);
        }
        None => out.extend(b")\x00"),
    }
    out.extend(b")\x00)\x00z\x00z\x01fz\x01gz\x01g\x07\x00\x00\x00z\x00z\x00");
    out
}

#[test]
fn nested_code_objects_stay_within_the_stack() {
    // Each code object costs two levels: itself and its co_consts.
    let nested = |levels: usize| (1..levels).fold(code_311(None), |inner, _| code_311(Some(inner)));
    let data = nested(MAX_DEPTH / 2);
    let v = read_value(&data).unwrap();
    assert_eq!(code(&v), ("g".into(), Some("g".into()), "f".into(), 7));
    let error = read_err(&nested(MAX_DEPTH / 2 + 1));
    assert!(error.message.contains("nesting deeper"), "{error}");
}

#[test]
fn references_cannot_multiply_copies_of_owned_strings() {
    // A flagged 1000-byte non-UTF-8 string, then `n` references to it
    // (hand-made). Borrowed strings are free to share; owned ones are
    // copied, so their copies are capped.
    let many = |n: usize| {
        let mut data = b"[".to_vec();
        data.extend(u32::try_from(n + 1).unwrap().to_le_bytes());
        data.extend(b"\xf3\xe8\x03\x00\x00");
        data.extend([0xff; 1000]);
        data.extend(b"r\x00\x00\x00\x00".repeat(n));
        data
    };
    let data = many(10);
    let value = read_value(&data).unwrap();
    assert!(items(&value)[10].as_str().unwrap().starts_with('\u{fffd}'));
    let data = many(5000);
    let error = read_err(&data);
    assert!(error.message.contains("too many references"), "{error}");
}

#[test]
fn trial_parsing_is_budgeted() {
    let data = hex(CODE_SAMPLES[5].1);
    let mut reader = Reader::new(&data);
    reader.budget = 10;
    let error = reader.read(1).unwrap_err();
    assert!(error.message.contains("work limit"), "{error}");
}

#[test]
fn random_and_mutated_input_never_panics() {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    // Mostly real type codes, so the reader gets past the first byte.
    let alphabet = b"0NTF.SiIlgfyxstuaAzZ()[<>{c:rR?\x80\xa9\xe9\xfb\x00\x01\x02\xff";
    for _ in 0..4000 {
        let len = (next() % 48) as usize;
        let data: Vec<u8> = (0..len)
            .map(|_| {
                let r = next();
                if r % 2 == 0 {
                    alphabet[(r >> 8) as usize % alphabet.len()]
                } else {
                    (r >> 8) as u8
                }
            })
            .collect();
        let _ = read_value(&data);
        let _ = for_each_dict_entry(&data, |_, _, _| Ok(()));
    }
    let samples = [
        mixed_py3(),
        mixed_py2(),
        hex(CPROFILE_311),
        hex(CPROFILE_27),
        hex(PROFILE_313),
    ];
    for sample in &samples {
        for _ in 0..600 {
            let mut data = sample.clone();
            for _ in 0..=next() % 3 {
                let at = (next() % data.len() as u64) as usize;
                data[at] = next() as u8;
            }
            let _ = read_value(&data);
            let _ = for_each_dict_entry(&data, |_, _, _| Ok(()));
        }
    }
}

/// PY311: v = (1, 1, 0.5, 0.25, {}); k = ('a.py', 1, 'f'); {k: v,
/// ('a.py', 2, 'g'): v, ('b.py', 3, 'h'): (2, 2, 1.0, 1.0, {k: (1, 1,
/// 0.5, 0.5), ('a.py', 2, 'g'): 3})}: a shared key tuple, a shared value
/// tuple and flagged floats.
const SHARED_311: &str = "\
    7ba903fa04612e7079e901000000da0166a90572020000007202000000e7000000000000e03fe70000\
    00000000d03f7b30a9037201000000e902000000da01677204000000a903fa04622e7079e903000000\
    da0168290572080000007208000000e7000000000000f03f720e0000007b7200000000a90472020000\
    007202000000720500000072050000007207000000720c0000003030";
