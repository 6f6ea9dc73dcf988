//! The QR codes Linli shows: a prefix naming what the code is for, then the code. One scanner
//! field — a camera, or a USB scanner that types the QR's text and Enter — then serves both
//! the typed code and the scanned text, at the counter and at the check-in desk alike.

/// A resident's redemption, shown at the merchant's counter.
pub const REDEEM: &str = "linli:redeem:";
/// An activity's rotating check-in code, shown on the organiser's screen.
pub const CHECK_IN: &str = "linli:checkin:";

/// The QR image (SVG) of `prefix` and `code`.
pub fn svg(prefix: &str, code: &str) -> Option<String> {
    let qr = qrcode::QrCode::new(format!("{prefix}{code}")).ok()?;
    Some(
        qr.render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(200, 200)
            .build(),
    )
}

/// The code in what was presented: typed (with stray spaces) or the whole scanned text with
/// its `prefix` in any case.
pub fn code<'a>(prefix: &str, presented: &'a str) -> &'a str {
    let trimmed = presented.trim();
    match trimmed.get(..prefix.len()) {
        Some(head) if head.eq_ignore_ascii_case(prefix) => trimmed[prefix.len()..].trim(),
        _ => trimmed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scanned_text_and_a_typed_code_give_the_same_code() {
        assert_eq!(code(CHECK_IN, "LINLI:CHECKIN:483920"), "483920");
        assert_eq!(code(CHECK_IN, " 483920 "), "483920");
        assert_eq!(code(REDEEM, "linli:checkin:483920"), "linli:checkin:483920");
        assert!(svg(CHECK_IN, "483920").unwrap().starts_with("<?xml"));
    }
}
