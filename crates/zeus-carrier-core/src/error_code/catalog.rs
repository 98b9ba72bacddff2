//! The catalog data: every code of the manual's "error_code一覧" tables
//! (R-EC-1), 137 codes, with retry advice (R-EC-2).
//!
//! Codes and Japanese meanings were extracted from the manual's text by a
//! script and pasted here, then reviewed by hand against the manual. The
//! rows are sorted by code (byte order), which is also the manual's order
//! and groups them by class; [`super::lookup`] relies on the order and a
//! test checks it.
//!
//! # English glosses
//!
//! The glosses are this project's translation. Where a gloss names a
//! request field, SPEC §5 gives the field for `00000000`–`00000006`; for
//! `00000007`, `00000008` and `00000100`–`00000103` the field is inferred
//! from the Japanese field name in the meaning (処理種類 → `autype`,
//! 売上指定日 → `date`, 加盟店コード → `clientip`, オーダー番号 →
//! `order_no`, 認証キー → `zkey`); the manual does not say which request
//! produces them. `00000102` メールプラグ is glossed "mail flag" (the manual's
//! spelling is kept verbatim).
//!
//! # Retry decisions (R-EC-2)
//!
//! The default follows the class: `invalid` and `failure_order` →
//! [`NotWithoutChange`]; `maintenance` → [`Later`]. Exceptions, decided
//! here:
//!
//! - **Reconcile first** ([`ReconcileFirst`]), because the answer does not
//!   say what state the order is in:
//!   - `010010008`, `010010031` データ更新エラー (data update error) and
//!     `010010009`, `010010017`–`010010020`, `010010108`, `010010109`
//!     ステータスアップデート失敗 (status update failed): the gateway failed
//!     while writing the order; the carrier may already have acted.
//!   - `010100096` 2重リクエストエラー (duplicate request): an identical
//!     request is already known; the first one may have succeeded, and a
//!     retry would be a duplicate again.
//!   - `010100036`, `010100037`, `010100038` 既に…処理中 (already in
//!     progress): another settle or refund is running; its outcome decides
//!     what to do next.
//!   - `010100021`, `010100026` 与信取消済み, `010100023` 売上処理済み,
//!     `010100030` 返金処理済み (already cancelled, settled or refunded):
//!     the carrier says the order is already past what the merchant's
//!     record shows; the operation did not fail at the carrier, so the
//!     record must be compared with the gateway, never moved to a failed
//!     status (06, 09, 11).
//!   - `010100084` 決済機関レスポンスパラメータエラー: the carrier's answer
//!     could not be read, so its outcome is unknown.
//!   - `999999999` キャリア判定エラー, the unhandled code: the gateway
//!     itself does not handle it and nothing says what happened.
//! - **Later** ([`Later`]) inside `failure_order`, because they are system
//!   or connection errors (R-EC-2 "connection errors: later") and the manual
//!   says the processing was stopped (処理を中止) or shows a system error
//!   screen: `010100034`, `010208451` (決済(処理)センターにてエラー),
//!   `010100080` GW システムエラー, `010100085` 決済機関接続エラー,
//!   `010100086` 決済機関システムエラー, `010100090` APIシステムエラー,
//!   `010100092` GW接続エラー, `010201101`, `010202101` システムエラー画面.
//! - Codes the manual marks 使用していないエラーコード (not in use:
//!   `010100082`, `010100091`, `020100008`) keep their class's advice.
//! - `020100001` 支払方法有効性エラー (payment method validity) and
//!   `020100000` XML形式エラー are classed `maintenance` by the manual; they
//!   keep [`Later`] with the class.
//! - Codes whose deadline has passed (処理期限切, 可能期間を過ぎて…) are
//!   [`NotWithoutChange`]: no change makes them succeed either.
//!
//! [`NotWithoutChange`]: RetryAdvice::NotWithoutChange
//! [`Later`]: RetryAdvice::Later
//! [`ReconcileFirst`]: RetryAdvice::ReconcileFirst

use super::ErrorCode;
use super::ResultKind;
use super::ResultKind::{FailureOrder, Invalid, Maintenance, Unhandled};
use super::RetryAdvice::{self, Later, NotWithoutChange, ReconcileFirst};

const fn e(
    code: &'static str,
    class: ResultKind,
    meaning_ja: &'static str,
    gloss_en: &'static str,
    retry: RetryAdvice,
) -> ErrorCode {
    ErrorCode {
        code,
        class,
        meaning_ja,
        gloss_en,
        retry,
    }
}

/// Every code of the manual's error tables, sorted by code (R-EC-1).
///
/// One row per code: code, class, 意味 (verbatim), English gloss, retry
/// advice. Kept one line per row (`rustfmt::skip`) so it reads as a table.
#[rustfmt::skip]
pub const CATALOG: &[ErrorCode] = &[
    // result = invalid
    e("00000000", Invalid, "処理種別入力エラー", "Input error: processing type (`act`)", NotWithoutChange),
    e("00000001", Invalid, "加盟店コード入力エラー", "Input error: merchant code (`clientip`)", NotWithoutChange),
    e("00000002", Invalid, "決済金額入力エラー", "Input error: amount (`money`)", NotWithoutChange),
    e("00000003", Invalid, "オーダー番号入力エラー", "Input error: order number (`order_no`)", NotWithoutChange),
    e("00000004", Invalid, "処理種類入力エラー", "Input error: processing kind (`autype`)", NotWithoutChange),
    e("00000005", Invalid, "売上指定日入力エラー", "Input error: settle date (`date`)", NotWithoutChange),
    e("00000006", Invalid, "認証キー入力エラー", "Input error: authentication key (`zkey`)", NotWithoutChange),
    e("00000007", Invalid, "処理種類入力エラー", "Input error: processing kind (`autype`)", NotWithoutChange),
    e("00000008", Invalid, "売上指定日入力エラー", "Input error: settle date (`date`)", NotWithoutChange),
    e("00000100", Invalid, "加盟店コード入力エラー", "Input error: merchant code (`clientip`)", NotWithoutChange),
    e("00000101", Invalid, "オーダー番号入力エラー", "Input error: order number (`order_no`)", NotWithoutChange),
    e("00000102", Invalid, "メールプラグ入力エラー", "Input error: mail flag", NotWithoutChange),
    e("00000103", Invalid, "認証キー入力エラー", "Input error: authentication key (`zkey`)", NotWithoutChange),
    e("000100002", Invalid, "APIリクエストID存在エラー(決済機関キャリア)", "API request ID does not exist (from the carrier)", NotWithoutChange),
    e("000100003", Invalid, "必須エラー(決済機関キャリア)", "Required parameter missing (from the carrier)", NotWithoutChange),
    e("000100004", Invalid, "属性エラー(決済機関キャリア)", "Attribute (character type) error (from the carrier)", NotWithoutChange),
    e("000100005", Invalid, "桁数エラー(決済機関キャリア)", "Length error (from the carrier)", NotWithoutChange),
    e("000100006", Invalid, "形式エラー(決済機関キャリア)", "Format error (from the carrier)", NotWithoutChange),
    e("000100007", Invalid, "定義値エラー(決済機関キャリア)", "Value is not one of the defined values (from the carrier)", NotWithoutChange),
    // result = failure_order
    e("010010000", FailureOrder, "認証失敗", "Authentication failed (wrong `zkey`)", NotWithoutChange),
    e("010010001", FailureOrder, "申込データなし", "No such order", NotWithoutChange),
    e("010010002", FailureOrder, "設定不備", "Merchant configuration incomplete", NotWithoutChange),
    e("010010003", FailureOrder, "設定不備", "Merchant configuration incomplete", NotWithoutChange),
    e("010010004", FailureOrder, "設定不備", "Merchant configuration incomplete", NotWithoutChange),
    e("010010005", FailureOrder, "設定不備", "Merchant configuration incomplete", NotWithoutChange),
    e("010010006", FailureOrder, "番組停止", "Service suspended for this merchant", NotWithoutChange),
    e("010010007", FailureOrder, "処理できないステータス", "The order's status does not allow this operation", NotWithoutChange),
    e("010010008", FailureOrder, "データ更新エラー", "Data update error at the gateway", ReconcileFirst),
    e("010010009", FailureOrder, "ステータスアップデート失敗", "Status update failed at the gateway", ReconcileFirst),
    e("010010010", FailureOrder, "処理できないステータス", "The order's status does not allow this operation", NotWithoutChange),
    e("010010011", FailureOrder, "売上指定日不正", "Invalid settle date", NotWithoutChange),
    e("010010012", FailureOrder, "売上指定日不正", "Invalid settle date", NotWithoutChange),
    e("010010013", FailureOrder, "処理期限切", "Processing deadline has passed", NotWithoutChange),
    e("010010014", FailureOrder, "決済金額不正", "Invalid amount", NotWithoutChange),
    e("010010015", FailureOrder, "決済金額不正", "Invalid amount", NotWithoutChange),
    e("010010016", FailureOrder, "キャリアタイプ不正", "Invalid carrier type", NotWithoutChange),
    e("010010017", FailureOrder, "ステータスアップデート失敗", "Status update failed at the gateway", ReconcileFirst),
    e("010010018", FailureOrder, "ステータスアップデート失敗", "Status update failed at the gateway", ReconcileFirst),
    e("010010019", FailureOrder, "ステータスアップデート失敗", "Status update failed at the gateway", ReconcileFirst),
    e("010010020", FailureOrder, "ステータスアップデート失敗", "Status update failed at the gateway", ReconcileFirst),
    e("010010021", FailureOrder, "処理種別不正", "Invalid processing type", NotWithoutChange),
    e("010010022", FailureOrder, "キャリアタイプ不正", "Invalid carrier type", NotWithoutChange),
    e("010010023", FailureOrder, "キャリアタイプ不正", "Invalid carrier type", NotWithoutChange),
    e("010010024", FailureOrder, "決済金額不正", "Invalid amount", NotWithoutChange),
    e("010010025", FailureOrder, "決済金額不正", "Invalid amount", NotWithoutChange),
    e("010010026", FailureOrder, "決済金額不正", "Invalid amount", NotWithoutChange),
    e("010010027", FailureOrder, "決済金額不正", "Invalid amount", NotWithoutChange),
    e("010010028", FailureOrder, "決済金額不正", "Invalid amount", NotWithoutChange),
    e("010010029", FailureOrder, "決済金額不正", "Invalid amount", NotWithoutChange),
    e("010010030", FailureOrder, "NULL不正", "Required value missing (NULL)", NotWithoutChange),
    e("010010031", FailureOrder, "データ更新エラー", "Data update error at the gateway", ReconcileFirst),
    e("010010100", FailureOrder, "認証失敗", "Authentication failed (wrong `zkey`)", NotWithoutChange),
    e("010010101", FailureOrder, "申込データなし", "No such order", NotWithoutChange),
    e("010010102", FailureOrder, "設定不備", "Merchant configuration incomplete", NotWithoutChange),
    e("010010103", FailureOrder, "設定不備", "Merchant configuration incomplete", NotWithoutChange),
    e("010010104", FailureOrder, "設定不備", "Merchant configuration incomplete", NotWithoutChange),
    e("010010105", FailureOrder, "設定不備", "Merchant configuration incomplete", NotWithoutChange),
    e("010010106", FailureOrder, "番組停止", "Service suspended for this merchant", NotWithoutChange),
    e("010010107", FailureOrder, "処理できないステータス", "The order's status does not allow this operation", NotWithoutChange),
    e("010010108", FailureOrder, "ステータスアップデート失敗", "Status update failed at the gateway", ReconcileFirst),
    e("010010109", FailureOrder, "ステータスアップデート失敗", "Status update failed at the gateway", ReconcileFirst),
    e("010010110", FailureOrder, "キャリアタイプ不正", "Invalid carrier type", NotWithoutChange),
    e("010010111", FailureOrder, "キャリアタイプ不正", "Invalid carrier type", NotWithoutChange),
    e("010010112", FailureOrder, "NULL不正", "Required value missing (NULL)", NotWithoutChange),
    e("010010113", FailureOrder, "処理期限切", "Processing deadline has passed", NotWithoutChange),
    e("010010114", FailureOrder, "処理期限切", "Processing deadline has passed", NotWithoutChange),
    e("010010115", FailureOrder, "処理期限切", "Processing deadline has passed", NotWithoutChange),
    e("010100009", FailureOrder, "ハッシュ値エラー(決済機関キャリア)", "Hash value error (from the carrier)", NotWithoutChange),
    e("010100010", FailureOrder, "リクエスト有効期限エラー(決済機関キャリア)", "Request has expired (from the carrier)", NotWithoutChange),
    e("010100011", FailureOrder, "処理対象 決済処理センターのトランザクションID エラー(決済機関キャリア)", "Invalid transaction ID of the payment processing center (from the carrier)", NotWithoutChange),
    e("010100012", FailureOrder, "処理対象トラッキングIDエラー(決済機関キャリア)", "Invalid tracking ID (from the carrier)", NotWithoutChange),
    e("010100013", FailureOrder, "指定不可エラー(決済機関キャリア)", "Value may not be specified (from the carrier)", NotWithoutChange),
    e("010100014", FailureOrder, "マーチャントID・サービスID 不正エラー(決済機関キャリア)", "Invalid merchant ID or service ID (from the carrier)", NotWithoutChange),
    e("010100020", FailureOrder, "与信結果が存在しないため、売上処理を中止しました。(決済機関キャリア)", "Settle aborted: no authorization result exists (from the carrier)", NotWithoutChange),
    e("010100021", FailureOrder, "与信取消済みのため、売上処理を中止しました。(決済機関キャリア)", "Settle aborted: the authorization was already cancelled (from the carrier)", ReconcileFirst),
    e("010100022", FailureOrder, "指定された金額が、与信時金額と違うため、売上処理を中止しました。(決済機関キャリア)", "Settle aborted: the amount differs from the authorized amount (from the carrier)", NotWithoutChange),
    e("010100023", FailureOrder, "売上処理済みのため、売上処理を中止しました。(決済機関キャリア)", "Settle aborted: already settled (from the carrier)", ReconcileFirst),
    e("010100024", FailureOrder, "自動売上が設定されているため、売上処理は不要です。(決済機関キャリア)", "No settle needed: automatic settlement is configured (from the carrier)", NotWithoutChange),
    e("010100025", FailureOrder, "与信結果が存在しないため、取消返金処理を中止しました。(決済機関キャリア)", "Cancel/refund aborted: no authorization result exists (from the carrier)", NotWithoutChange),
    e("010100026", FailureOrder, "与信取消済みのため、取消返金処理を中止しました。(決済機関キャリア)", "Cancel/refund aborted: the authorization was already cancelled (from the carrier)", ReconcileFirst),
    e("010100030", FailureOrder, "返金処理済みのため、返金処理を中止しました。(決済機関キャリア)", "Refund aborted: already refunded (from the carrier)", ReconcileFirst),
    e("010100031", FailureOrder, "取消返金可能期間を過ぎています。(決済機関キャリア)", "The cancel/refund period has passed (from the carrier)", NotWithoutChange),
    e("010100033", FailureOrder, "売上確定可能期間を過ぎています。(決済機関キャリア)", "The settle period has passed (from the carrier)", NotWithoutChange),
    e("010100034", FailureOrder, "決済センターにてエラーが発生したため、処理を中止しました。(決済機関キャリア)", "Aborted: an error occurred at the payment center (from the carrier)", Later),
    e("010100036", FailureOrder, "既に売上処理中のため、売上処理を中止しました。(決済機関キャリア)", "Settle aborted: a settle is already in progress (from the carrier)", ReconcileFirst),
    e("010100037", FailureOrder, "既に売上処理中のため、取消処理を中止しました。(決済機関キャリア)", "Cancel aborted: a settle is already in progress (from the carrier)", ReconcileFirst),
    e("010100038", FailureOrder, "既に返金処理中のため、返金処理を中止しました。(決済機関キャリア)", "Refund aborted: a refund is already in progress (from the carrier)", ReconcileFirst),
    e("010100040", FailureOrder, "自動売上の場合、返金処理を使用して下さい。(決済機関キャリア)", "Automatic settlement: use a refund instead (from the carrier)", NotWithoutChange),
    e("010100080", FailureOrder, "GW システムエラー(決済機関キャリア)", "Carrier gateway (GW) system error (from the carrier)", Later),
    e("010100081", FailureOrder, "API リクエストパラメータエラー(決済機関キャリア)", "API request parameter error (from the carrier)", NotWithoutChange),
    e("010100082", FailureOrder, "使用していないエラーコード(決済機関キャリア)", "Error code not in use (from the carrier)", NotWithoutChange),
    e("010100083", FailureOrder, "GWレコード検索エラー(決済機関キャリア)", "Carrier gateway (GW) record lookup error (from the carrier)", NotWithoutChange),
    e("010100084", FailureOrder, "決済機関レスポンスパラメータエラー(決済機関キャリア)", "Payment institution response parameter error (from the carrier)", ReconcileFirst),
    e("010100085", FailureOrder, "決済機関接続エラー(決済機関キャリア)", "Connection error to the payment institution (from the carrier)", Later),
    e("010100086", FailureOrder, "決済機関システムエラー(決済機関キャリア)", "Payment institution system error (from the carrier)", Later),
    e("010100090", FailureOrder, "APIシステムエラー(決済機関キャリア)", "API system error (from the carrier)", Later),
    e("010100091", FailureOrder, "使用していないエラーコード(決済機関キャリア)", "Error code not in use (from the carrier)", NotWithoutChange),
    e("010100092", FailureOrder, "GW接続エラー(決済機関キャリア)", "Carrier gateway (GW) connection error (from the carrier)", Later),
    e("010100093", FailureOrder, "再入力上限回数制限エラー(決済機関キャリア)", "Re-entry attempt limit reached (from the carrier)", NotWithoutChange),
    e("010100094", FailureOrder, "決済未完了エラー(決済機関キャリア)", "Payment not completed (from the carrier)", NotWithoutChange),
    e("010100095", FailureOrder, "顧客情報整合性エラー(決済機関キャリア)", "Customer information is inconsistent (from the carrier)", NotWithoutChange),
    e("010100096", FailureOrder, "2重リクエストエラー(決済機関キャリア)", "Duplicate request (from the carrier)", ReconcileFirst),
    e("0101000L0", FailureOrder, "初回申込結果が存在しないため、定期購入処理を中止しました。(決済機関キャリア)", "Subscription aborted: no initial application result exists (from the carrier)", NotWithoutChange),
    e("0101000L1", FailureOrder, "初回申込結果と加盟店顧客ID が異なるため、定期購入処理を中止しました。(決済機関キャリア)", "Subscription aborted: the merchant customer ID differs from the initial application (from the carrier)", NotWithoutChange),
    e("0101000L2", FailureOrder, "既に解約済みのため、定期購入処理を中止しました。(決済機関キャリア)", "Subscription aborted: already cancelled (from the carrier)", NotWithoutChange),
    e("0101000L3", FailureOrder, "決済処理センターによりご指定の定期購入は取扱不可と判定されました。(決済機関キャリア)", "The payment processing center refused this subscription (from the carrier)", NotWithoutChange),
    e("0101000L4", FailureOrder, "決済処理センターにて該当顧客の決済がエラーと判定されました。(決済機関キャリア)", "The payment processing center judged this customer's payment an error (from the carrier)", NotWithoutChange),
    e("010201101", FailureOrder, "システムエラー画面(システムエラー)(決済機関キャリア)", "System error screen (system error) (from the carrier)", Later),
    e("010201301", FailureOrder, "購入NG画面(結果通知エラー)(決済機関キャリア)", "Purchase refused screen (result notification error) (from the carrier)", NotWithoutChange),
    e("010202101", FailureOrder, "システムエラー画面(システムエラー)(決済機関キャリア)", "System error screen (system error) (from the carrier)", Later),
    e("010205101", FailureOrder, "マーチャントからのリクエストパラメータが不正です。(システムエラー)(決済機関キャリア)", "The merchant's request parameters are invalid (system error) (from the carrier)", NotWithoutChange),
    e("010208451", FailureOrder, "決済処理センターにてエラーが発生したため、処理を中止しました。(決済機関キャリア)", "Aborted: an error occurred at the payment processing center (from the carrier)", Later),
    e("010208452", FailureOrder, "取消可能期間を過ぎているため、取消処理を中止しました。(決済機関キャリア)", "Cancel aborted: the cancel period has passed (from the carrier)", NotWithoutChange),
    e("010208453", FailureOrder, "返金可能期間を過ぎているため、返金処理を中止しました。(決済機関キャリア)", "Refund aborted: the refund period has passed (from the carrier)", NotWithoutChange),
    e("010208454", FailureOrder, "売上確定可能期間を過ぎているため、売上処理を中止しました。(決済機関キャリア)", "Settle aborted: the settle period has passed (from the carrier)", NotWithoutChange),
    // result = maintenance
    e("020020000", Maintenance, "システムエラー", "System error", Later),
    e("020020001", Maintenance, "システムエラー", "System error", Later),
    e("020020002", Maintenance, "システムエラー", "System error", Later),
    e("020020003", Maintenance, "システムエラー", "System error", Later),
    e("020020004", Maintenance, "システムエラー", "System error", Later),
    e("020020005", Maintenance, "システムエラー", "System error", Later),
    e("020020006", Maintenance, "システムエラー", "System error", Later),
    e("020020007", Maintenance, "システムエラー", "System error", Later),
    e("020020008", Maintenance, "決済処理センター接続エラー", "Connection error to the payment processing center", Later),
    e("020020009", Maintenance, "決済処理センター接続エラー", "Connection error to the payment processing center", Later),
    e("020020010", Maintenance, "決済処理センター接続エラー", "Connection error to the payment processing center", Later),
    e("020020100", Maintenance, "システムエラー", "System error", Later),
    e("020020101", Maintenance, "システムエラー", "System error", Later),
    e("020020102", Maintenance, "システムエラー", "System error", Later),
    e("020020103", Maintenance, "決済処理センター接続エラー", "Connection error to the payment processing center", Later),
    e("020020104", Maintenance, "決済処理センター接続エラー", "Connection error to the payment processing center", Later),
    e("020020105", Maintenance, "決済処理センター接続エラー", "Connection error to the payment processing center", Later),
    e("020020106", Maintenance, "システムエラー", "System error", Later),
    e("020100000", Maintenance, "XML形式エラー(決済機関キャリア)", "XML format error (from the carrier)", Later),
    e("020100001", Maintenance, "支払方法有効性エラー(決済機関キャリア)", "Payment method validity error (from the carrier)", Later),
    e("020100008", Maintenance, "使用していないエラーコード(決済機関キャリア)", "Error code not in use (from the carrier)", Later),
    // result = unhandled
    e("999999999", Unhandled, "キャリア判定エラー", "Carrier determination error (a code the gateway does not handle)", ReconcileFirst),
];
