import { couponMessages } from './coupon-messages.ts'
import { couponUsesMessages } from './coupon-uses-messages.ts'

/** The till's messages, merged by the app's i18n setup under the `staff` key. */
const ja = {
  title: 'レジ',
  login: {
    title: 'スタッフ ログイン',
    lead: 'レジでポイントの付与・利用を行うには、スタッフIDとパスワードでログインしてください。',
    staffId: 'スタッフID',
    password: 'パスワード',
    submit: 'ログイン',
    signingIn: 'ログイン中…',
  },
  header: {
    role: { clerk: 'スタッフ', manager: '店長' },
    till: 'レジ',
    today: '本日の取引',
    logout: 'ログアウト',
  },
  scan: {
    title: '会員証をスキャン',
    camera: 'カメラでスキャン',
    lineScan: 'LINEでスキャン',
    stop: 'カメラを止める',
    cameraHint: 'お客様の会員証QRコードを枠の中に写してください。',
    cameraStarting: 'カメラを起動しています…',
    manualLabel: 'QRコードの文字・手入力用コード（手入力・バーコードリーダー）',
    manualHint:
      '36文字の英数字、または会員証の下の手入力用コード（例：12-3456 7890）です。バーコードリーダーで読み取ると自動で確認します。',
    lookUp: '確認',
    looking: '確認中…',
    wedgeReady: 'バーコードリーダーの読み取りを待っています',
    rescanTitle: '会員証を再スキャン',
    carried: '同じお客様の新しいQRコードなら、入力した内容（{what}）を引き継ぎます。',
    cardTitle: 'スマホがないお客様：ポイントカードの番号で',
    cardLabel: 'ポイントカードの番号（16桁）',
    cardHint:
      'プラスチックカードの番号を入力するか、カードのバーコードをバーコードリーダーで読み取ってください。カード番号ではポイント付与のみできます（ポイント利用・クーポンには会員証のQRコードが必要です）。',
    cardLookUp: 'カード番号で探す',
  },
  member: {
    heading: '会員情報',
    points: 'ポイント残高',
    rank: 'ランク',
    cardNumber: 'カード番号',
    expiresIn: 'QRの有効期限まで {seconds}\u00a0秒',
    expired:
      'QRコードの有効期限が切れました。お客様にもう一度会員証を表示してもらい、スキャンしてください。',
    ranks: { regular: 'レギュラー', silver: 'シルバー', gold: 'ゴールド' },
    next: '次のお客様',
    rescan: '再スキャン',
    rescanHint: 'お客様に会員証をもう一度表示してもらい、再スキャンしてください。',
    byCard:
      'カード番号で確認しました。ポイント付与のみできます（ポイント利用・クーポンには会員証のQRコードが必要です）。',
  },
  award: {
    tab: 'ポイント付与',
    amountLabel: 'お買い上げ金額（円）',
    amountHint: '税込の支払金額を入力してください。',
    preview: '付与予定：{points}\u00a0pt',
    multiplier: '{rank} ×{multiplier}',
    submit: '付与内容を確認',
  },
  redeem: {
    tab: 'ポイント利用',
    pointsLabel: '利用するポイント',
    hint: '最大 {max}\u00a0pt まで利用できます。',
    all: '全部使う',
    tooMany: '残高（{max}\u00a0pt）を超えています。{max}\u00a0pt 以下にしてください。',
    submit: '利用内容を確認',
  },
  adjust: {
    tab: 'ポイント調整',
    pointsLabel: '調整するポイント（減らす場合は -）',
    hint: '例：50 で加算、-30 で減算。店長のみ操作できます。',
    reasonLabel: '調整の理由（必須）',
    invalid: '+50 や -30 のように、0以外の整数を入力してください。',
    tooLow: '残高（{balance}\u00a0pt）より多くは減らせません。',
    submit: '調整内容を確認',
  },
  confirm: {
    award: '{amount}\u00a0円のお買い上げで {points}\u00a0pt を付与します。',
    redeem: '{points}\u00a0pt を利用します。',
    adjust: '{points}\u00a0pt を調整します（理由：{reason}）。',
    ok: '確定する',
    sending: '送信中…',
    back: '戻る',
  },
  result: {
    award: '{points}\u00a0pt を付与しました',
    redeem: '{points}\u00a0pt を利用しました',
    adjust: '{points}\u00a0pt を調整しました',
    balance: '新しい残高',
    again: '同じお客様で続ける',
    askManager: '間違えた場合は、店長に取消を依頼してください。',
  },
  invalid: {
    amount: '1円以上の金額を数字で入力してください。',
    points: '1以上のポイント数を数字で入力してください。',
  },
  coupons: couponMessages.ja,
  couponUses: couponUsesMessages.ja,
  today: {
    title: '本日の取引',
    mine: '自分の取引だけ表示',
    empty: '本日の取引はまだありません。',
    refresh: '更新',
    more: 'さらに表示',
    void: '取消',
    voidConfirm: 'この取引（{points}\u00a0pt）を取り消しますか？取消は元に戻せません。',
    voidDone: '取り消しました。新しい残高：{balance}\u00a0pt',
    voided: '取消済み',
    by: '担当：{staff}',
    askManager:
      '取消は店長のみ行えます。取り消したい取引があれば、店長に依頼してください（取引の時刻とカード番号を伝えてください）。',
    purchase: '{amount}\u00a0円',
    types: {
      award: '付与',
      redeem: '利用',
      void: '取消',
      adjust: '調整',
      bonus: '特典',
      expire: '失効',
      import: '移行',
      refund: '返品',
      coupon: 'クーポン',
    },
    refund: '返品',
    refundAmount: '返品する金額（円）',
    refundHint: 'あと {amount}\u00a0円まで返品できます',
    refundPreview: '戻すポイント：{points}\u00a0pt（付与分から按分、端数切り捨て）',
    refundConfirm: '{amount}\u00a0円を返品し、付与したポイントを戻します。',
    refundSubmit: '返品を確定',
    refundDone: '返品しました（{points}\u00a0pt）。新しい残高：{balance}\u00a0pt',
    refundShort:
      'お客様がポイントを使用済みのため、{short}\u00a0pt は戻せませんでした（本部に記録されました）。',
    refunded: '返品済み {amount}\u00a0円',
    refundOf: '取引 {id} の返品',
  },
  errors: {
    NETWORK:
      '通信できませんでした。ネットワークを確認してもう一度お試しください（二重に計上されることはありません）。',
    INVALID_CREDENTIALS: 'スタッフIDまたはパスワードが違います。確認してもう一度入力してください。',
    TOO_MANY_ATTEMPTS:
      'ログインの失敗が続いたため、{minutes}\u00a0分ほど待ってからお試しください。',
    STAFF_AUTH_REQUIRED: 'ログインの有効期限が切れました。もう一度ログインしてください。',
    QR_EXPIRED:
      'QRコードの有効期限が切れました。お客様にもう一度会員証を表示してもらってください。',
    QR_INVALID:
      '会員証のQRコードではないか、連携が解除されています。お客様の会員証をもう一度読み取ってください。',
    QR_ALREADY_USED:
      'このQRコードは使用済みか、別の店舗で読み取られています。お客様に会員証の新しいQRコードを表示してもらい、読み取り直してください。',
    INSUFFICIENT_POINTS: 'ポイント残高が足りません。残高以下のポイント数にしてください。',
    IDEMPOTENCY_KEY_IN_USE: '処理中です。少し待ってから結果を確認してください。',
    IDEMPOTENCY_KEY_REUSED: '内容が変わったため、もう一度確認から操作してください。',
    FORBIDDEN: 'この操作は店長のみ行えます。店長にログインしてもらってください。',
    ALREADY_VOIDED: 'この取引はすでに取り消されています。',
    VOID_WINDOW_PASSED: '取消できる期間を過ぎています。本部にポイント調整を依頼してください。',
    TRANSACTION_NOT_FOUND: 'この取引は見つかりません。一覧を更新してください。',
    NOT_VOIDABLE: 'この取引は取り消せません（返品済みの取引は、残りを返品してください）。',
    REFUND_EXCEEDS_PURCHASE:
      '返品額がお買い上げ金額の残りを超えています。表示されている上限以下の金額にしてください。',
    SERVICE_UNAVAILABLE: 'サーバーが混み合っています。少し待ってからもう一度お試しください。',
    COUPON_NOT_FOUND:
      'このクーポンはこのお客様のものではないか、見つかりません。会員証を読み取り直してください。',
    COUPON_ALREADY_USED:
      'このクーポンはすでに使用済みです（上限に達しています）。お客様にお伝えください。',
    COUPON_EXPIRED: 'このクーポンは有効期限が切れているか、終了しています。使用できません。',
    COUPON_CONDITION_NOT_MET:
      'このクーポンの条件（お買い上げ金額・店舗）を満たしていません。条件を確認してください。',
    VALIDATION_FAILED: '入力内容を確認してください。',
    CARD_NUMBER_INVALID: 'カード番号が正しくありません。16桁の番号をもう一度確認してください。',
    CARD_NOT_FOUND:
      'この番号のカードは見つかりません。番号を確認するか、会員証のQRコードを読み取ってください。',
    CARD_LOOKUP_LIMIT:
      'カード番号での確認が続いたため、{minutes}\u00a0分ほど待つか、会員証のQRコードを読み取ってください。',
    CAMERA_DENIED:
      'カメラを使えません。ブラウザでカメラを許可するか、QRコードの文字を入力してください。',
    CAMERA_UNAVAILABLE:
      'この端末ではカメラで読み取れません。バーコードリーダーか手入力をご利用ください。',
    default: 'うまくいきませんでした。もう一度お試しください。続く場合は店長に連絡してください。',
  },
}

export type StaffMessages = typeof ja

const en: StaffMessages = {
  title: 'Till',
  login: {
    title: 'Staff sign-in',
    lead: 'Sign in with your staff ID and password to award and redeem points at the till.',
    staffId: 'Staff ID',
    password: 'Password',
    submit: 'Sign in',
    signingIn: 'Signing in…',
  },
  header: {
    role: { clerk: 'Clerk', manager: 'Manager' },
    till: 'Till',
    today: "Today's transactions",
    logout: 'Sign out',
  },
  scan: {
    title: 'Scan the member card',
    camera: 'Scan with the camera',
    lineScan: 'Scan with LINE',
    stop: 'Stop the camera',
    cameraHint: "Hold the customer's member QR code inside the frame.",
    cameraStarting: 'Starting the camera…',
    manualLabel: 'QR code text or code to type (typed or from a barcode scanner)',
    manualHint:
      '36 letters and digits, or the code to type under the card (e.g. 12-3456 7890). A barcode scanner looks the member up by itself.',
    lookUp: 'Look up',
    looking: 'Looking up…',
    wedgeReady: 'Ready for the barcode scanner',
    rescanTitle: 'Scan the member card again',
    carried: "The customer's new QR code brings back what you entered ({what}).",
    cardTitle: 'No phone? Use the point card number',
    cardLabel: 'Point card number (16 digits)',
    cardHint:
      'Type the number on the plastic card, or read its barcode with the barcode scanner. A card number allows awarding points only (redeeming points and coupons need the member QR code).',
    cardLookUp: 'Find by card number',
  },
  member: {
    heading: 'Member',
    points: 'Points balance',
    rank: 'Rank',
    cardNumber: 'Card number',
    expiresIn: 'QR code valid for {seconds} more seconds',
    expired: 'The QR code has expired. Ask the customer to show the member card again and scan it.',
    ranks: { regular: 'Regular', silver: 'Silver', gold: 'Gold' },
    next: 'Next customer',
    rescan: 'Scan again',
    rescanHint: 'Ask the customer to show the member card again, and scan it again.',
    byCard:
      'Identified by card number: awarding points only (redeeming points and coupons need the member QR code).',
  },
  award: {
    tab: 'Award points',
    amountLabel: 'Purchase amount (yen)',
    amountHint: 'Enter the amount paid, tax included.',
    preview: 'Will award: {points}\u00a0pt',
    multiplier: '{rank} ×{multiplier}',
    submit: 'Review the award',
  },
  redeem: {
    tab: 'Redeem points',
    pointsLabel: 'Points to redeem',
    hint: 'Up to {max}\u00a0pt can be redeemed.',
    all: 'Use all',
    tooMany: 'That is more than the balance ({max}\u00a0pt). Enter {max}\u00a0pt or less.',
    submit: 'Review the redemption',
  },
  adjust: {
    tab: 'Adjust points',
    pointsLabel: 'Points to adjust (use - to take away)',
    hint: 'For example 50 adds, -30 takes away. Managers only.',
    reasonLabel: 'Reason for the adjustment (required)',
    invalid: 'Enter a whole number other than 0, such as +50 or -30.',
    tooLow: 'You cannot take away more than the balance ({balance}\u00a0pt).',
    submit: 'Review the adjustment',
  },
  confirm: {
    award: 'Award {points}\u00a0pt for a purchase of {amount}\u00a0yen.',
    redeem: 'Redeem {points}\u00a0pt.',
    adjust: 'Adjust by {points}\u00a0pt (reason: {reason}).',
    ok: 'Confirm',
    sending: 'Sending…',
    back: 'Back',
  },
  result: {
    award: '{points}\u00a0pt awarded',
    redeem: '{points}\u00a0pt redeemed',
    adjust: '{points}\u00a0pt adjusted',
    balance: 'New balance',
    again: 'Continue with this customer',
    askManager: 'If this was a mistake, ask a manager to void it.',
  },
  invalid: {
    amount: 'Enter an amount of 1 yen or more, in digits.',
    points: 'Enter 1 point or more, in digits.',
  },
  coupons: couponMessages.en,
  couponUses: couponUsesMessages.en,
  today: {
    title: "Today's transactions",
    mine: 'Only mine',
    empty: 'No transactions yet today.',
    refresh: 'Refresh',
    more: 'Show more',
    void: 'Void',
    voidConfirm: 'Void this transaction ({points}\u00a0pt)? A void cannot be undone.',
    voidDone: 'Voided. New balance: {balance}\u00a0pt',
    voided: 'Voided',
    by: 'By {staff}',
    askManager:
      'Only a manager can void. To void a transaction, ask a manager (tell them its time and card number).',
    purchase: '{amount}\u00a0yen',
    types: {
      award: 'Award',
      redeem: 'Redeem',
      void: 'Void',
      adjust: 'Adjustment',
      bonus: 'Bonus',
      expire: 'Expired',
      import: 'Imported',
      refund: 'Return',
      coupon: 'Coupon',
    },
    refund: 'Return',
    refundAmount: 'Amount returned (yen)',
    refundHint: 'Up to {amount}\u00a0yen can be returned',
    refundPreview: 'Points taken back: {points}\u00a0pt (in proportion, rounded down)',
    refundConfirm: 'Return {amount}\u00a0yen and take back the points it earned.',
    refundSubmit: 'Confirm the return',
    refundDone: 'Returned ({points}\u00a0pt). New balance: {balance}\u00a0pt',
    refundShort:
      'The customer has already used {short}\u00a0pt of them, so those could not be taken back (recorded for head office).',
    refunded: 'Returned {amount}\u00a0yen',
    refundOf: 'Return of transaction {id}',
  },
  errors: {
    NETWORK: 'No connection. Check the network and try again (nothing will be counted twice).',
    INVALID_CREDENTIALS: 'The staff ID or the password is wrong. Check them and try again.',
    TOO_MANY_ATTEMPTS: 'Too many failed sign-ins. Wait about {minutes} minute(s) and try again.',
    STAFF_AUTH_REQUIRED: 'Your sign-in has ended. Sign in again.',
    QR_EXPIRED: 'The QR code has expired. Ask the customer to show the member card again.',
    QR_INVALID:
      'This is not a member QR code, or the card is no longer linked. Scan the member card again.',
    QR_ALREADY_USED:
      'This QR code has been used already, or scanned at another store. Ask the customer to show a fresh code on the member card, then scan it.',
    INSUFFICIENT_POINTS: 'Not enough points. Enter no more than the balance.',
    IDEMPOTENCY_KEY_IN_USE: 'Still processing. Wait a moment, then check the result.',
    IDEMPOTENCY_KEY_REUSED: 'The details changed. Review and confirm again.',
    FORBIDDEN: 'Only a manager can do this. Ask a manager to sign in.',
    ALREADY_VOIDED: 'This transaction has already been voided.',
    VOID_WINDOW_PASSED: 'Too late to void this. Ask head office for a points adjustment.',
    TRANSACTION_NOT_FOUND: 'This transaction was not found. Refresh the list.',
    NOT_VOIDABLE:
      'This entry cannot be voided (for a partly returned purchase, return the rest instead).',
    REFUND_EXCEEDS_PURCHASE:
      'The return is more than what is left of the purchase. Enter no more than the limit shown.',
    SERVICE_UNAVAILABLE: 'The server is busy. Wait a moment and try again.',
    COUPON_NOT_FOUND:
      "This coupon is not this customer's, or it was not found. Scan the member card again.",
    COUPON_ALREADY_USED:
      'This coupon has been used already (its limit is reached). Tell the customer.',
    COUPON_EXPIRED: 'This coupon has expired or ended. It cannot be used.',
    COUPON_CONDITION_NOT_MET:
      "The coupon's conditions (purchase amount, store) are not met. Check them.",
    VALIDATION_FAILED: 'Check what you entered.',
    CARD_NUMBER_INVALID: 'This card number is not valid. Check the 16 digits and try again.',
    CARD_NOT_FOUND: 'No card has this number. Check the number, or scan the member QR code.',
    CARD_LOOKUP_LIMIT:
      'Too many card-number look-ups. Wait about {minutes} min, or scan the member QR code.',
    CAMERA_DENIED:
      'The camera cannot be used. Allow the camera in the browser, or type the QR code text.',
    CAMERA_UNAVAILABLE:
      'This device cannot scan with its camera. Use a barcode scanner or type the code.',
    default: 'That did not work. Try again; if it keeps failing, tell a manager.',
  },
}

export const staffMessages = { ja, en } as const
