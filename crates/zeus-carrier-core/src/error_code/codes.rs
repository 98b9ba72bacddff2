//! The catalog entries the core itself answers with, by name: the one place
//! a rule of SPEC §5–§6 names a code. Each is resolved from [`CATALOG`] at
//! compile time by [`entry`], so a code missing from the catalog does not
//! compile.

use super::{CATALOG, ErrorCode};

/// The catalog entry with exactly this code, found at compile time when
/// used in a `const`: a code that is not in [`CATALOG`] stops the build
/// (in a `const` item) or panics (at run time). For codes read from the
/// wire use the total [`super::lookup`] instead.
///
/// ```
/// use zeus_carrier_core::error_code::{ErrorCode, codes};
/// const DECLINED: &ErrorCode = codes::entry("010201301");
/// assert_eq!(DECLINED.code, "010201301");
/// ```
///
/// A code that is not in the catalog does not compile:
///
/// ```compile_fail
/// use zeus_carrier_core::error_code::{ErrorCode, codes};
/// const NOT_A_CODE: &ErrorCode = codes::entry("010010099");
/// ```
pub const fn entry(code: &str) -> &'static ErrorCode {
    let mut i = 0;
    while i < CATALOG.len() {
        if bytes_eq(CATALOG[i].code.as_bytes(), code.as_bytes()) {
            return &CATALOG[i];
        }
        i += 1;
    }
    panic!("error code not in the catalog (R-EC-1)")
}

const fn bytes_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// `010010000` 認証失敗: the zkey does not authenticate the merchant
/// (SPEC §5, §6).
pub const AUTH_FAILED: &ErrorCode = entry("010010000");

/// `010010001` 申込データなし: no order with that number (SPEC §5, §6).
pub const ORDER_NOT_FOUND: &ErrorCode = entry("010010001");

/// `010010007` 処理できないステータス: an operation the order's status does
/// not allow (R-TR-1, R-CN-1).
pub const NOT_ALLOWED: &ErrorCode = entry("010010007");

/// `010010010` 処理できないステータス: `autype=auth` without a reservation to
/// withdraw, or on/after its date (R-SL-6).
pub const WITHDRAW_NOT_ALLOWED: &ErrorCode = entry("010010010");

/// `010010011` 売上指定日不正: the date is in the past or after the 50-day
/// window (R-SL-1).
pub const DATE_OUT_OF_RANGE: &ErrorCode = entry("010010011");

/// `010010012` 売上指定日不正: date = today at 23:55:00 or later (R-SL-4).
pub const DATE_AFTER_CUTOFF: &ErrorCode = entry("010010012");

/// `010010013` 処理期限切: the 50-day window has passed (R-SL-7, R-CN-1).
pub const EXPIRED: &ErrorCode = entry("010010013");

/// `010010014` 決済金額不正: a docomo/au amount of 0 or above the original
/// (R-SL-5).
pub const AMOUNT_ABOVE_ORIGINAL: &ErrorCode = entry("010010014");

/// `010010015` 決済金額不正: a SoftBank amount other than the original
/// (R-SL-5).
pub const AMOUNT_NOT_ORIGINAL: &ErrorCode = entry("010010015");

/// `010100034` 決済センターにてエラーが発生したため、処理を中止しました: the
/// carrier rejects a settle dated today (R-TR-2; the manual's generic
/// carrier-side failure, the specific ones name causes the sandbox does not
/// model).
pub const SETTLE_CARRIER_FAILURE: &ErrorCode = entry("010100034");

/// `010208451` 決済処理センターにてエラーが発生したため、処理を中止しました:
/// the carrier fails a cancel (the manual's generic carrier-side failure in
/// the 0102 family; see [`crate::cancel`] for why it is a `failure_order`).
pub const CANCEL_CARRIER_FAILURE: &ErrorCode = entry("010208451");

/// `010010100` 認証失敗: a cancel whose zkey does not authenticate the
/// merchant (SPEC §6). The `0100101xx` family is the cancel's: see
/// [`crate::cancel`] for the reading.
pub const CANCEL_AUTH_FAILED: &ErrorCode = entry("010010100");

/// `010010101` 申込データなし: a cancel of an unknown order (SPEC §6).
pub const CANCEL_ORDER_NOT_FOUND: &ErrorCode = entry("010010101");

/// `010010107` 処理できないステータス: a cancel the order's status does not
/// allow (R-CN-1, R-TR-1).
pub const CANCEL_NOT_ALLOWED: &ErrorCode = entry("010010107");

/// `010010113` 処理期限切: a cancel after its 50-day window (R-CN-1).
pub const CANCEL_EXPIRED: &ErrorCode = entry("010010113");

/// `00000100` 加盟店コード入力エラー: a cancel's `clientip` is malformed
/// (SPEC §6; the `000001xx` family is the cancel's).
pub const CANCEL_INVALID_CLIENTIP: &ErrorCode = entry("00000100");

/// `00000101` オーダー番号入力エラー: a cancel's `order_no` is malformed
/// (SPEC §6).
pub const CANCEL_INVALID_ORDER_NO: &ErrorCode = entry("00000101");

/// `00000103` 認証キー入力エラー: a cancel's `zkey` is malformed (SPEC §6).
pub const CANCEL_INVALID_ZKEY: &ErrorCode = entry("00000103");

/// `00000000` 処理種別入力エラー: `act` is malformed (SPEC §5).
pub const INVALID_ACT: &ErrorCode = entry("00000000");

/// `00000001` 加盟店コード入力エラー: `clientip` is malformed (SPEC §5).
pub const INVALID_CLIENTIP: &ErrorCode = entry("00000001");

/// `00000002` 決済金額入力エラー: `money` is malformed (SPEC §5).
pub const INVALID_MONEY: &ErrorCode = entry("00000002");

/// `00000003` オーダー番号入力エラー: `order_no` is malformed (SPEC §5).
pub const INVALID_ORDER_NO: &ErrorCode = entry("00000003");

/// `00000004` 処理種類入力エラー: `autype` is malformed (SPEC §5).
pub const INVALID_AUTYPE: &ErrorCode = entry("00000004");

/// `00000005` 売上指定日入力エラー: `date` is malformed (SPEC §5).
pub const INVALID_DATE: &ErrorCode = entry("00000005");

/// `00000006` 認証キー入力エラー: `zkey` is malformed (SPEC §5).
pub const INVALID_ZKEY: &ErrorCode = entry("00000006");
