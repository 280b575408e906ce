//! The token path ([`Stream`]) against the value path: same results, same
//! refusals, bounded work on hostile input.

use super::*;

/// Rebuilds every entry through tokens alone, keeping the containers it
/// read as tokens by ref index the way a consumer would, so that the
/// result can be compared with the value path's.
fn token_entries(data: &[u8]) -> Result<Vec<(Value<'_>, Value<'_>)>, Unexpected> {
    fn walk<'a>(
        s: &mut Stream<'a>,
        depth: usize,
        mine: &mut Vec<(RefIndex, Value<'a>)>,
    ) -> Result<Option<Value<'a>>, Unexpected> {
        Ok(Some(match s.next(depth)? {
            Token::Null => return Ok(None),
            Token::Int(n) => Value::Int(n),
            Token::Float(x) => Value::Float(x),
            Token::Value(value, _) => value,
            Token::Ref { index, .. } => match s.referenced(index) {
                Some(value) => value.clone(),
                None => mine
                    .iter()
                    .find(|(i, _)| *i == index)
                    .map(|(_, v)| v.clone())
                    .ok_or(Unexpected)?,
            },
            Token::Tuple { len, slot } => {
                let mut items = Vec::new();
                for _ in 0..len {
                    items.push(walk(s, depth + 1, mine)?.ok_or(Unexpected)?);
                }
                s.close(slot);
                let value = Value::Tuple(items.into());
                if let Some(i) = slot {
                    mine.push((i, value.clone()));
                }
                value
            }
            Token::Dict { slot } => {
                let mut entries = Vec::new();
                while let Some(key) = walk(s, depth + 1, mine)? {
                    let Some(value) = walk(s, depth + 1, mine)? else {
                        break;
                    };
                    entries.push((key, value));
                }
                s.close(slot);
                let value = Value::Dict(entries.into());
                if let Some(i) = slot {
                    mine.push((i, value.clone()));
                }
                value
            }
        }))
    }
    let mut s = Stream::open_dict(data).map_err(|_| Unexpected)?;
    let mut mine = Vec::new();
    let mut out = Vec::new();
    while let Some(key) = walk(&mut s, 2, &mut mine)? {
        let Some(value) = walk(&mut s, 2, &mut mine)? else {
            break;
        };
        out.push((key, value));
    }
    s.finish().map_err(|_| Unexpected)?;
    Ok(out)
}

#[test]
fn tokens_read_what_values_read() {
    for sample in [CPROFILE_311, CPROFILE_27, PROFILE_313, SHARED_311] {
        let data = hex(sample);
        let values: Vec<_> = entries(&data).into_iter().map(|(k, v, _)| (k, v)).collect();
        assert_eq!(token_entries(&data), Ok(values));
    }
}

#[test]
fn typed_readers_read_nothing_when_they_decline() {
    let data = hex(SHARED_311);
    let mut stream = Stream::open_dict(&data).unwrap();
    let at = stream.offset();
    assert_eq!(stream.next_int(), Err(Unexpected));
    assert_eq!(stream.next_f64(), Err(Unexpected));
    assert_eq!(stream.next_dict(), Err(Unexpected));
    assert_eq!(stream.next_tuple(2), Err(Unexpected));
    assert_eq!(stream.next_tagged_ref(), None);
    assert!(!stream.next_null());
    assert_eq!(stream.offset(), at);
    // The key: a flagged 3-tuple (ref 0), string (1), int (2) and
    // string (3).
    assert_eq!(stream.next_tuple(3), Ok(Some(0)));
    assert_eq!(stream.next(3), Ok(Token::Value(s("a.py"), Some(1))));
    assert_eq!(stream.next_f64(), Ok(1.0));
    assert_eq!(stream.next(3), Ok(Token::Value(s("f"), Some(3))));
    stream.close(Some(0));
    // The value tuple (ref 4) and its items.
    assert_eq!(stream.next_tuple(5), Ok(Some(4)));
    assert_eq!(stream.next_int(), Ok(1));
    assert_eq!(stream.next_int(), Ok(1)); // `r 2`
    assert_eq!(stream.next_f64(), Ok(0.5));
    assert_eq!(stream.next_f64(), Ok(0.25));
    assert_eq!(stream.next_dict(), Ok(None));
    assert!(stream.next_null());
    stream.close(Some(4));
    // A truncated int declines too, whichever reader is asked.
    let mut stream = Stream::open_dict(b"{i\x01\x00").unwrap();
    assert_eq!(stream.next_int(), Err(Unexpected));
    assert_eq!(stream.next(2), Err(Unexpected));
    assert_eq!(stream.offset(), 1);
}

#[test]
fn tags_follow_their_slot() {
    let data = hex(SHARED_311);
    let mut stream = Stream::open_dict(&data).unwrap();
    let start = stream.checkpoint();
    let key = stream.next_tuple(3).unwrap();
    // An open container takes no tag.
    stream.set_tag(0, 7);
    let Ok(Token::Value(_, Some(file))) = stream.next(3) else {
        panic!("expected a flagged string")
    };
    stream.set_tag(file, 9);
    stream.next_int().unwrap();
    stream.next(3).unwrap();
    stream.close(key);
    // The value, then the second key: a fresh tuple whose file is `r 1`.
    let value = stream.next_tuple(5).unwrap();
    stream.next_int().unwrap();
    stream.next_int().unwrap();
    stream.next_f64().unwrap();
    stream.next_f64().unwrap();
    stream.next_dict().unwrap();
    assert!(stream.next_null());
    stream.close(value);
    let second = stream.next_tuple(3).unwrap();
    assert_eq!(stream.next_tagged_ref(), Some(9));
    stream.next_int().unwrap();
    stream.next(3).unwrap();
    stream.close(second);
    // The value is `r 4`, untagged: a token, not a tagged reference.
    assert_eq!(stream.next_tagged_ref(), None);
    assert_eq!(
        stream.next(2),
        Ok(Token::Ref {
            index: 4,
            tag: NO_TAG
        })
    );
    // Rewinding forgets the slots read since, tags included.
    stream.rewind(start);
    assert_eq!(stream.offset(), 1);
    assert_eq!(stream.next_tuple(3), Ok(Some(0)));
    assert_eq!(stream.next(3), Ok(Token::Value(s("a.py"), Some(1))));
    assert_eq!(stream.reader.tags[1], NO_TAG);
}

#[test]
fn value_path_replays_containers_read_as_tokens() {
    let data = hex(SHARED_311);
    let expected = entries(&data);
    // The first entry as tokens (its key and value are flagged), the
    // rest as values, which refer back to both.
    let mut stream = Stream::open_dict(&data).unwrap();
    let key = stream.next_tuple(3).unwrap();
    let Ok(Token::Value(file, _)) = stream.next(3) else {
        panic!("expected a string")
    };
    let line = stream.next_int().unwrap();
    let Ok(Token::Value(name, _)) = stream.next(3) else {
        panic!("expected a string")
    };
    stream.close(key);
    assert_eq!(expected[0].0, tuple([file, Value::Int(line), name]));
    let value = stream.next_tuple(5).unwrap();
    let numbers = [
        Value::Int(stream.next_int().unwrap()),
        Value::Int(stream.next_int().unwrap()),
        Value::Float(stream.next_f64().unwrap()),
        Value::Float(stream.next_f64().unwrap()),
    ];
    let callers = stream.next_dict().unwrap();
    assert!(stream.next_null());
    stream.close(callers);
    stream.close(value);
    assert_eq!(
        expected[0].1.as_tuple().map(|t| &t[..4]),
        Some(&numbers[..])
    );
    for (key, value, _) in &expected[1..] {
        assert_eq!(stream.read_value(2).unwrap().as_ref(), Some(key));
        assert_eq!(stream.read_value(2).unwrap().as_ref(), Some(value));
    }
    assert_eq!(stream.read_value(2), Ok(None));
    assert_eq!(stream.finish(), Ok(()));
    // The replayed value tuple is cached as a value now.
    assert_eq!(stream.referenced(4), Some(&expected[0].1));
}

#[test]
fn stream_refuses_what_values_refuse() {
    // A reference to a container still open, to the top-level dict, and
    // a forward one: tokens decline, values explain.
    for (data, needle) in [
        (&b"{\xa9\x03r\x00\x00\x00\x00"[..], "recursive data"),
        (b"\xfbr\x00\x00\x00\x00", "top-level dict"),
        (b"{r\x05\x00\x00\x00", "invalid reference 5"),
    ] {
        let mut s = Stream::open_dict(data).unwrap();
        let checkpoint = s.checkpoint();
        let token = s.next(2).and_then(|t| match t {
            Token::Tuple { .. } => s.next(3),
            other => Ok(other),
        });
        assert_eq!(token, Err(Unexpected));
        s.rewind(checkpoint);
        let error = s.read_value(2).unwrap_err();
        assert!(error.message.contains(needle), "{error}");
    }
}

#[test]
fn random_token_walks_never_panic() {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let samples = [
        hex(CPROFILE_311),
        hex(CPROFILE_27),
        hex(PROFILE_313),
        hex(SHARED_311),
    ];
    for sample in &samples {
        for round in 0..800 {
            let mut data = sample.clone();
            for _ in 0..=next() % 3 {
                let at = (next() % data.len() as u64) as usize;
                data[at] = next() as u8;
            }
            let _ = token_entries(&data);
            // Random calls in random order, rewinds included.
            let Ok(mut s) = Stream::open_dict(&data) else {
                continue;
            };
            let start = s.checkpoint();
            for step in 0..200 {
                match next() % 12 {
                    0 => drop(s.next_int()),
                    1 => drop(s.next_f64()),
                    2 => drop(s.next_tuple((next() % 6) as usize)),
                    3 => drop(s.next_dict()),
                    4 => drop(s.next_tagged_ref()),
                    5 => drop(s.next_null()),
                    6 => drop(s.next((next() % 300) as usize)),
                    7 => s.close(Some((next() % 8) as usize)),
                    8 => s.set_tag((next() % 8) as usize, next() as u32),
                    9 => drop(s.referenced((next() % 8) as usize)),
                    10 => drop(s.read_value(2)),
                    _ if step % 50 == round % 50 => s.rewind(start),
                    _ => {}
                }
            }
            let _ = s.finish();
        }
    }
}

#[test]
fn chained_replays_stay_within_depth_and_stack() {
    // {0: (None,), 1: (r 0,), 2: (r 1,), …, 999: r last}, every value a
    // flagged 1-tuple (hand-made). Read as tokens, then the last value
    // through the value path, which replays the whole chain.
    let chain = |n: u32| {
        let mut data = b"{".to_vec();
        for k in 0..n {
            data.push(b'i');
            data.extend(k.to_le_bytes());
            data.extend(b"\xa9\x01");
            if k == 0 {
                data.push(b'N');
            } else {
                data.push(b'r');
                data.extend((k - 1).to_le_bytes());
            }
        }
        data.extend(b"i\xe7\x03\x00\x00r");
        data.extend((n - 1).to_le_bytes());
        data.push(b'0');
        data
    };
    for (n, ok) in [(MAX_DEPTH as u32 - 3, true), (MAX_DEPTH as u32 * 4, false)] {
        let data = chain(n);
        let mut stream = Stream::open_dict(&data).unwrap();
        for _ in 0..n {
            assert!(matches!(stream.next(2), Ok(Token::Int(_))));
            let Ok(Token::Tuple { len: 1, slot }) = stream.next(2) else {
                panic!("expected a tuple")
            };
            assert!(stream.next(3).is_ok());
            stream.close(slot);
        }
        assert_eq!(stream.next_int(), Ok(999));
        match stream.read_value(2) {
            Ok(Some(value)) => assert!(ok, "{value:?}"),
            Ok(None) => panic!("expected a value"),
            Err(error) => {
                assert!(!ok);
                assert!(error.message.contains("nesting deeper"), "{error}");
            }
        }
    }
}
