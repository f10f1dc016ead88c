//! The console stream reader: frames and text lines, split anywhere.

use ferrite_ide_core::device::console_stream::{
    encode_frame, encode_text, ConsoleStream, StreamItem, MAX_FRAME,
};

fn items(s: &mut ConsoleStream) -> Vec<StreamItem> {
    std::iter::from_fn(|| s.next_item()).collect()
}

fn text(t: &str) -> StreamItem {
    StreamItem::Text(t.into())
}
fn frame(t: &str) -> StreamItem {
    StreamItem::Frame(t.into())
}

/// Feed `input` in pieces of every size from 1 to its length: the items never depend on how
/// the bytes were cut.
fn all_splits(input: &[u8]) -> Vec<StreamItem> {
    let mut whole = ConsoleStream::new();
    whole.push(input);
    let expected = items(&mut whole);
    for size in 1..=input.len() {
        let mut s = ConsoleStream::new();
        for piece in input.chunks(size) {
            s.push(piece);
        }
        assert_eq!(items(&mut s), expected, "pieces of {size}");
    }
    expected
}

#[test]
fn lines_and_frames_with_every_line_end() {
    let input = b"Ferrite 0.1.0\r\nplain lf\nprompt> \r\x1b[K\x01{\"id\":1}\n\x01{\"id\":2}\r\n\x01{\"id\":3}\rafter\n";
    assert_eq!(
        all_splits(input),
        [
            text("Ferrite 0.1.0"),
            text("plain lf"),
            frame("{\"id\":1}"),
            frame("{\"id\":2}"),
            frame("{\"id\":3}"),
            text("after"),
        ]
    );
}

#[test]
fn carriage_return_overwrites_and_erase_line_clears() {
    // The device redraws the prompt: `\r ESC[K` then the log line.
    let input =
        b"[100/200] > \r\x1b[K[script:1] hello\r\n[100/200] > 1+\x08\x08\x08 \x08\r\x1b[Kdone\n";
    assert_eq!(all_splits(input), [text("[script:1] hello"), text("done")]);
    // A lone CR: what follows overwrites the start of the line, as on a terminal.
    let mut s = ConsoleStream::new();
    s.push(b"abcdef\rXY\n");
    assert_eq!(items(&mut s), [text("XYcdef")]);
    // Colours and cursor keys are dropped.
    let mut s = ConsoleStream::new();
    s.push(b"\x1b[31merror\x1b[0m: x\x1b]0;title\x07!\n");
    assert_eq!(items(&mut s), [text("error: x!")]);
}

#[test]
fn a_frame_in_the_middle_of_a_line_keeps_the_line() {
    let input = b"[1/2] > pri\x01{\"method\":\"NotifyLog\"}\nnt(1)\n";
    assert_eq!(
        all_splits(input),
        [
            frame("{\"method\":\"NotifyLog\"}"),
            text("[1/2] > print(1)")
        ]
    );
    // The unfinished line (the prompt) is visible.
    let mut s = ConsoleStream::new();
    s.push(b"line\n[98140/158860] > ");
    assert_eq!(items(&mut s), [text("line")]);
    assert_eq!(s.partial_line(), "[98140/158860] > ");
}

#[test]
fn soh_restarts_a_frame_and_ctrl_c_is_never_text() {
    let mut s = ConsoleStream::new();
    s.push(b"\x01{\"broken\x01{\"id\":5}\nab\x03c\n\x01{\"x\x03tail\n");
    assert_eq!(
        items(&mut s),
        [frame("{\"id\":5}"), text("abc"), text("tail")]
    );
}

#[test]
fn oversize_frames_and_lines_are_bounded() {
    let mut s = ConsoleStream::with_limits(16, 8);
    s.push(b"\x01");
    s.push(&[b'x'; 40]);
    s.push(b"\n\x01{\"ok\":1}\n");
    assert_eq!(
        items(&mut s),
        [StreamItem::OversizeFrame { len: 40 }, frame("{\"ok\":1}")]
    );
    s.push(b"0123456789abcdefXY\n");
    assert_eq!(
        items(&mut s),
        [text("01234567"), text("89abcdef"), text("XY")]
    );
    // Invalid UTF-8 is shown, not refused.
    let mut s = ConsoleStream::new();
    s.push(b"caf\xc3\xa9 \xff\n");
    assert_eq!(items(&mut s), [text("café \u{fffd}")]);
}

#[test]
fn encoding_frames_and_text() {
    assert_eq!(encode_frame("{\"a\":\n1}").unwrap(), b"\x01{\"a\":1}\n");
    let big = format!("\"{}\"", "x".repeat(MAX_FRAME - 2));
    assert_eq!(encode_frame(&big).unwrap().len(), MAX_FRAME + 2);
    let too_big = format!("\"{}\"", "x".repeat(MAX_FRAME - 1));
    let e = encode_frame(&too_big).unwrap_err();
    assert_eq!(e.len, MAX_FRAME + 1);
    assert!(e.to_string().contains("16384"));
    assert_eq!(encode_text("a\x01b\x03c\r"), b"abc\r");
}
