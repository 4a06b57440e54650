import type { ErrorCode } from '@membercard/shared/errors'

/** A failure the client can meet: one of the API's codes, or no answer at all. */
export type FailureCode = ErrorCode | 'NETWORK'

/** One message in each of the app's languages. */
export interface Localized {
  ja: string
  en: string
}

/**
 * What each failure means to the person at the screen, and what to do next: one message per
 * code of the shared list (`shared/src/errors.ts`), Japanese first. Typed on that list, so a
 * new code cannot ship without its message. The console uses it (`src/admin/`); the till and
 * the customer screens may (they keep their own wording for the codes they show today).
 */
export const ERROR_MESSAGES: Record<FailureCode, Localized> = {
  NETWORK: {
    ja: 'サーバーに接続できませんでした。通信環境を確認して、もう一度お試しください。',
    en: 'Could not reach the server. Check the connection and try again.',
  },
  VALIDATION_FAILED: {
    ja: '入力内容に誤りがあります。項目を確認して、もう一度お試しください。',
    en: 'Some input is not valid. Check the fields and try again.',
  },
  CARD_NUMBER_INVALID: {
    ja: '会員番号が正しくありません。16桁の番号を確認してください。',
    en: 'That card number is not valid. Check the 16 digits.',
  },
  QR_INVALID: {
    ja: 'QRコードを読み取れませんでした。もう一度読み取ってください。',
    en: 'The QR code could not be read. Scan it again.',
  },
  IDEMPOTENCY_KEY_MISSING: {
    ja: '送信内容が不完全でした。画面を再読み込みして、もう一度お試しください。',
    en: 'The request was incomplete. Reload the page and try again.',
  },
  INVALID_ID_TOKEN: {
    ja: 'ログイン情報を確認できませんでした。もう一度ログインしてください。',
    en: 'Your sign-in could not be verified. Please sign in again.',
  },
  ID_TOKEN_EXPIRED: {
    ja: 'ログインの有効期限が切れました。もう一度ログインしてください。',
    en: 'Your sign-in has expired. Please sign in again.',
  },
  INVALID_CREDENTIALS: {
    ja: 'スタッフIDまたはパスワードが違います。入力を確認してください。',
    en: 'Wrong staff ID or password. Check what you typed.',
  },
  STAFF_AUTH_REQUIRED: {
    ja: 'ログインの有効期限が切れました。もう一度ログインしてください。',
    en: 'Your session has ended. Please sign in again.',
  },
  TOTP_REQUIRED: {
    ja: '認証アプリに表示されている6桁の確認コードを入力してください。',
    en: 'Enter the 6-digit code shown in your authenticator app.',
  },
  INVALID_SIGNATURE: {
    ja: '署名を確認できませんでした。',
    en: 'The signature could not be verified.',
  },
  CONSENT_REQUIRED: {
    ja: '同意が必要です。内容を確認して同意してください。',
    en: 'Consent is required. Read the terms and agree first.',
  },
  FORBIDDEN: {
    ja: 'この操作の権限がありません。必要な場合は管理者に依頼してください。',
    en: 'You are not allowed to do this. Ask an administrator if you need it.',
  },
  NOT_FOUND: {
    ja: '見つかりませんでした。削除されたか、番号が違う可能性があります。一覧からやり直してください。',
    en: 'Not found. It may have been removed or the number is wrong. Start again from the list.',
  },
  NOT_LINKED: {
    ja: 'この会員はLINEと連携していません。',
    en: 'This member is not linked with LINE.',
  },
  TRANSACTION_NOT_FOUND: {
    ja: '取引が見つかりません。履歴を再読み込みしてください。',
    en: 'Transaction not found. Reload the history.',
  },
  CARD_NOT_FOUND: {
    ja: '会員証が見つかりません。番号を確認してください。',
    en: 'Card not found. Check the number.',
  },
  METHOD_NOT_ALLOWED: {
    ja: 'この操作はできません。画面を再読み込みしてください。',
    en: 'This action is not available. Reload the page.',
  },
  CARD_ALREADY_LINKED: {
    ja: 'この会員証はすでに別のLINEアカウントと連携しています。',
    en: 'This card is already linked to another LINE account.',
  },
  ALREADY_LINKED: {
    ja: 'このLINEアカウントはすでに連携済みです。',
    en: 'This LINE account is already linked.',
  },
  ALREADY_EXISTS: {
    ja: '同じコードまたはIDがすでに登録されています。別のものを指定してください。',
    en: 'That code or ID exists already. Choose another one.',
  },
  LAST_ADMIN: {
    ja: '最後の管理者は無効化・降格・削除できません。先に別の管理者を追加してください。',
    en: 'The last admin cannot be disabled, demoted or removed. Add another admin first.',
  },
  IDEMPOTENCY_KEY_IN_USE: {
    ja: '同じ操作を処理中です。少し待ってから結果を確認してください。',
    en: 'The same action is being processed. Wait a moment, then check the result.',
  },
  ALREADY_VOIDED: {
    ja: 'この取引はすでに取り消されています。',
    en: 'This transaction has already been voided.',
  },
  QR_EXPIRED: {
    ja: 'QRコードの有効期限が切れています。新しいコードを表示してもらってください。',
    en: 'The QR code has expired. Ask for a fresh code.',
  },
  PAYLOAD_TOO_LARGE: {
    ja: '送信データが大きすぎます。内容を減らしてください。',
    en: 'Too much data was sent. Send less.',
  },
  UNSUPPORTED_MEDIA_TYPE: {
    ja: '送信形式が正しくありません。画面を再読み込みしてください。',
    en: 'The request format was wrong. Reload the page.',
  },
  CARD_OR_PIN_WRONG: {
    ja: '会員番号または暗証番号が違います。',
    en: 'Wrong card number or PIN.',
  },
  INSUFFICIENT_POINTS: {
    ja: 'ポイント残高が足りません。残高を超えて減らすことはできません。',
    en: 'Not enough points: the balance cannot go below zero.',
  },
  IDEMPOTENCY_KEY_REUSED: {
    ja: '前回と異なる内容で再送されました。ダイアログを開き直して、もう一度入力してください。',
    en: 'A retry sent different details. Reopen the dialog and enter them again.',
  },
  VOID_WINDOW_PASSED: {
    ja: '取り消しできる期間を過ぎています。',
    en: 'The time to void this has passed.',
  },
  NOT_VOIDABLE: {
    ja: 'この取引は取り消せません。',
    en: 'This transaction cannot be voided.',
  },
  TOO_MANY_ATTEMPTS: {
    ja: '試行回数が多すぎます。{minutes}分ほど待ってから、もう一度お試しください。',
    en: 'Too many attempts. Wait about {minutes} min, then try again.',
  },
  INTERNAL_ERROR: {
    ja: 'サーバーでエラーが発生しました。時間をおいてもう一度お試しください。続く場合はシステム担当者に連絡してください。',
    en: 'The server failed. Try again later; if it keeps happening, contact your system administrator.',
  },
  SERVICE_UNAVAILABLE: {
    ja: 'サーバーが一時的に利用できません。しばらくしてから、もう一度お試しください。',
    en: 'The server is temporarily unavailable. Try again in a few minutes.',
  },
  CONSENT_OUTDATED: {
    ja: '利用規約が更新されました。最新の内容を確認して、もう一度同意してください。',
    en: 'The terms have been updated. Read the current terms and agree again.',
  },
  QR_ALREADY_USED: {
    ja: 'このQRコードは使用済みか、別の店舗で読み取られています。新しいコードを表示してもらってください。',
    en: 'This QR code has been used already, or scanned at another store. Ask for a fresh code.',
  },
  COUPON_NOT_FOUND: {
    ja: 'このクーポンは見つかりません。',
    en: 'This coupon was not found.',
  },
  COUPON_ALREADY_USED: {
    ja: 'このクーポンは使用済みです。',
    en: 'This coupon has already been used.',
  },
  COUPON_EXPIRED: {
    ja: 'このクーポンは有効期限切れか、終了しています。',
    en: 'This coupon has expired or has ended.',
  },
  COUPON_CONDITION_NOT_MET: {
    ja: 'このクーポンの利用条件（店舗・期間・最低購入額）を満たしていません。',
    en: "This coupon's conditions (store, dates, minimum purchase) are not met.",
  },
  REFUND_EXCEEDS_PURCHASE: {
    ja: '返品額が購入額の残りを超えています。返品できる残りの金額以下で入力してください。',
    en: 'The refund is more than what is left of the purchase. Enter no more than the amount left.',
  },
  CAMPAIGN_ALREADY_FINISHED: {
    ja: 'この配信はすでに終了しているため、取り消せません。',
    en: 'This campaign has finished already and cannot be cancelled.',
  },
  QUOTA_EXCEEDED: {
    ja: '今月の送信可能数を超えます。対象を絞り込むか、翌月に送信してください。',
    en: "This would exceed this month's message quota. Narrow the segment or send next month.",
  },
  HOST_NOT_ALLOWED: {
    ja: 'このアドレスでは開けません。案内されたアドレスから開いてください。',
    en: 'This address is not served here. Open the address you were given.',
  },
}

/** The message for `code` in `locale`, placeholders filled (`{minutes}`). */
export function failureMessage(
  code: FailureCode,
  locale: keyof Localized,
  named: Record<string, string | number> = {},
): string {
  return ERROR_MESSAGES[code][locale].replace(/\{(\w+)\}/g, (_, k: string) =>
    String(named[k] ?? ''),
  )
}
