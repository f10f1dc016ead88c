//! Share links: round trips, every error, a decompression bomb, random garbage.

use ferrite_ide_core::project::Project;
use ferrite_ide_core::protocol::HttpMock;
use ferrite_ide_core::share::{decode, encode, MAX_FRAGMENT_BYTES, MAX_JSON_BYTES};

fn b64url(data: &[u8]) -> String {
    // Independent of the crate's encoder: through a valid link's body alphabet check.
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for c in data.chunks(3) {
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        for i in 0..=c.len() {
            out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

fn link_of_json(json: &[u8]) -> String {
    format!(
        "v1.{}",
        b64url(&miniz_oxide::deflate::compress_to_vec(json, 6))
    )
}

fn sample() -> Project {
    let mut p = Project::new(
        "store-id",
        "Lamp ✨",
        "main.js",
        "print('hi');\n// ünïcödé\n",
    );
    p.files.push(ferrite_ide_core::project::ProjectFile {
        name: "lib.js".into(),
        code: "let x = `a${1}`;".into(),
    });
    p.http_mocks.push(HttpMock {
        url: "http://api.test/".into(),
        status: 200,
        content_type: "application/json".into(),
        body: "{}".into(),
    });
    p.modified_ms = 12345.0;
    p
}

#[test]
fn round_trip_keeps_what_is_shared() {
    let p = sample();
    let link = encode(&p);
    assert!(link.starts_with("v1."));
    assert!(link[3..]
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    let q = decode(&link).unwrap();
    assert_eq!(
        (q.name.as_str(), &q.files, &q.http_mocks),
        (p.name.as_str(), &p.files, &p.http_mocks)
    );
    assert_eq!(
        (q.id.as_str(), q.modified_ms),
        ("", 0.0),
        "store id and time are not shared"
    );
    assert_eq!(decode(&format!("#{link}")).unwrap(), q);
}

#[test]
fn large_projects_have_no_length_cap() {
    let mut p = sample();
    let code: String = (0..20_000)
        .map(|i| format!("print({});\n", i * 7919 % 10007))
        .collect();
    p.files[0].code = code[..200_000].to_string();
    let link = encode(&p);
    assert!(link.len() > 2000);
    assert_eq!(decode(&link).unwrap().files[0].code, p.files[0].code);
}

#[test]
fn every_error_says_what_is_wrong() {
    let cases: Vec<(String, &str)> = vec![
        ("v2.AAAA".into(), "another version"),
        ("hello".into(), "not a Ferrite project link"),
        ("".into(), "not a Ferrite project link"),
        ("v1.ab*c".into(), "invalid base64 character"),
        ("v1.abcde".into(), "length"),
        (
            format!(
                "v1.{}",
                b64url(b"this is not deflate data at all \xff\xff\xff")
            ),
            "does not decompress",
        ),
        (link_of_json(b"{\"name\": 3}"), "does not hold a project"),
        (link_of_json(b"[1,2"), "does not hold a project"),
        (link_of_json(br#"{"name":"x","files":[]}"#), "no files"),
        (
            link_of_json(br#"{"name":"x","files":[{"name":"../evil","code":""}]}"#),
            "file name",
        ),
        (
            "v1.".to_string() + &"A".repeat(MAX_FRAGMENT_BYTES),
            "too long",
        ),
    ];
    for (link, want) in cases {
        let e = decode(&link).expect_err(&link[..link.len().min(40)]);
        assert!(e.contains(want), "{want:?} not in {e:?}");
    }
}

#[test]
fn a_decompression_bomb_is_refused() {
    // 64 MiB of spaces inside a JSON string deflate to a few KiB.
    let mut json = b"{\"name\":\"".to_vec();
    json.extend(std::iter::repeat_n(b' ', 64 << 20));
    json.extend(b"\",\"files\":[]}");
    let link = link_of_json(&json);
    assert!(link.len() < MAX_FRAGMENT_BYTES);
    let e = decode(&link).unwrap_err();
    assert!(e.contains(&format!("larger than {MAX_JSON_BYTES}")), "{e}");
}

#[test]
fn random_garbage_never_panics() {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let valid = encode(&sample());
    for i in 0..3000 {
        let len = (next() % 300) as usize;
        let s: String = match i % 3 {
            // Raw bytes as text.
            0 => (0..len)
                .map(|_| char::from_u32((next() % 0x800) as u32).unwrap_or('?'))
                .collect(),
            // base64url alphabet after the prefix.
            1 => {
                let bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
                format!("v1.{}", b64url(&bytes))
            }
            // A valid link with a few bytes changed.
            _ => {
                let mut b = valid.clone().into_bytes();
                for _ in 0..1 + next() % 4 {
                    let at = 3 + (next() as usize) % (b.len() - 3);
                    b[at] = b"ABCabc012-_"[(next() % 11) as usize];
                }
                String::from_utf8(b).unwrap()
            }
        };
        let _ = decode(&s);
    }
}
