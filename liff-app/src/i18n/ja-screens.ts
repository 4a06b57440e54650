import { couponsJa } from './coupons-ja.ts'

/**
 * Japanese messages of the screens other than the member card, in the router's chunk: merged
 * into the app's messages before the router shows any of those screens (main.ts).
 */
export const jaScreens = {
  coupons: couponsJa,
  link: {
    title: 'LINEと会員カードを連携',
    lead: 'お持ちのポイントカードをLINEと連携すると、LINEから会員証を表示できます。',
    bonus: '連携で{points}\u2060ポイントプレゼント',
    sharedTitle: '連携される情報',
    sharedLine: 'LINEのユーザーIDと表示名',
    sharedCard: 'ポイントカードの情報（会員番号・お名前・ポイント・ランク）',
    why: 'ポイントのお知らせや会員証の表示に使います。連携はいつでも設定から解除できます。',
    privacy: 'プライバシーポリシー',
    consentVersion: '同意内容の版：{version}',
    consent: '上記の内容とプライバシーポリシーに同意します',
    consentMissing: '連携するには同意にチェックを入れてください。',
    cardNumber: 'カード番号（16桁）',
    cardNumberHint: 'カード裏面の16桁の数字',
    pin: '暗証番号（4桁）',
    pinHint: 'カード裏面に記載の4桁の数字',
    submit: '同意して連携する',
    submitting: '連携中…',
    noCard: 'カードをお持ちでない方',
    issueLink: 'デジタル会員証を新しく発行する',
    done: '連携が完了しました',
    doneNoBonus:
      '連携が完了しました。このカードは以前に連携ボーナスを受け取っているため、今回のポイント付与はありません。',
    bonusAdded: '連携が完了しました。{points}\u2060ポイントを付与しました',
  },
  field: {
    cardFormat: 'カード番号は16桁の数字で入力してください。',
    cardCheckDigit: 'カード番号に誤りがあります。入力した数字をもう一度確認してください。',
    pinFormat: '暗証番号は4桁の数字で入力してください。',
    nameRequired: 'お名前を入力してください。',
  },
  history: {
    title: 'ポイント履歴',
    empty: 'まだ履歴はありません。',
    more: 'さらに表示',
    end: 'これ以上の履歴はありません',
    loading: '読み込み中…',
    expiring: '{points}\u00a0ptが{date}に失効します。お買い物かポイントのご利用で期限が延びます。',
    expiresOn: 'ポイントの有効期限：{date}',
    types: {
      bonus: '連携ボーナス',
      award: 'お買い物',
      redeem: 'ポイント利用',
      expire: '有効期限切れ',
      void: '取り消し',
      adjust: '調整',
      import: 'カードから移行',
      refund: '返品',
      coupon: 'クーポン',
    },
  },
  issue: {
    title: 'デジタル会員証を発行',
    lead: 'ポイントカードをお持ちでない方は、この場でデジタル会員証を発行できます。',
    name: 'お名前',
    nameHint: '会員証に表示されます',
    submit: '同意して発行する',
    submitting: '発行中…',
    doneTitle: 'デジタル会員証を発行しました',
    doneCard: 'カード番号',
    donePin: '暗証番号',
    doneNote:
      '連携を解除した後に再び連携するときに必要です。控えておいてください（再表示できません）。',
    toCard: '会員証を表示する',
    back: 'カードをお持ちの方はこちら',
    bonus: '発行で{points}\u2060ポイントプレゼント',
    sharedTitle: '登録される情報',
    consentMissing: '発行するには同意にチェックを入れてください。',
    bonusAdded: 'デジタル会員証を発行しました。{points}\u2060ポイントを付与しました',
  },
  settings: {
    title: '設定',
    language: '表示言語',
    unlink: '連携を解除する',
    unlinkTitle: '連携を解除しますか？',
    unlinkBody:
      'LINEとポイントカードの連携を解除します。ポイントはカードに残りますが、LINEで会員証を表示できなくなります。連携ボーナスは再連携しても付与されません。',
    unlinkConfirm: '解除する',
    cancel: 'キャンセル',
    unlinked: '連携を解除しました',
    signInAgain: 'もう一度ログインする',
    signInAgainHint: '表示がおかしいときは、ログインし直すと直ることがあります。',
    signOut: 'ログアウト',
    signOutHint: 'このブラウザーでのログインを終了します。',
  },
  preferences: {
    promotions: 'お得な情報をLINEで受け取る',
    promotionsHint:
      'キャンペーンやクーポンのお知らせです。オフにしても、ポイントの付与など大切なお知らせは届きます。',
    saving: '保存しています…',
    saved: '保存しました',
  },
  privacy: {
    title: 'プライバシーポリシー',
    template: 'ひな形です：運営者は［　］の部分を記入し、内容を確認してから公開してください。',
    collectedTitle: '取得する情報',
    collected:
      'LINEのユーザーIDと表示名、連携したポイントカードの情報（会員番号・お名前・ポイント・ランク・登録がある場合は生年月日）、ポイントの履歴、LINE公式アカウントの友だちかどうか、お知らせの設定。',
    whyTitle: '利用目的',
    why: '会員証の表示、レジでのポイントの付与・利用、ポイントやクーポンのお知らせ、不正利用の防止のために利用します。第三者に販売することはありません。',
    keptTitle: '保存期間',
    kept: '［運営者が記入：連携解除後または最終利用後に情報を保存する期間］',
    unlinkTitle: '連携の解除',
    unlink:
      '会員証の「設定」から「連携を解除する」を選んでください。ポイントはカードに残り、LINEに会員証が表示されなくなります。',
    contactTitle: 'お問い合わせ',
    contact: '［運営者が記入：事業者名・住所・個人情報に関する問い合わせ先（メールまたは電話）］',
    back: '戻る',
  },
  errors: {
    NETWORK: '通信できませんでした。電波の良い場所でもう一度お試しください。',
    CARD_NUMBER_INVALID: 'カード番号に誤りがあります。入力した数字をもう一度確認してください。',
    CARD_OR_PIN_WRONG:
      'カード番号または暗証番号が違います。カード裏面を確認して入力し直してください。',
    CARD_ALREADY_LINKED:
      'このカードは別のLINEアカウントと連携済みです。お心当たりがない場合は店舗にお問い合わせください。',
    ALREADY_LINKED: 'このLINEアカウントはすでに連携済みです。会員証を表示します。',
    CONSENT_REQUIRED: '連携するには同意にチェックを入れてください。',
    CONSENT_OUTDATED:
      '同意いただく内容が更新されました。最新の内容をお読みのうえ、もう一度同意にチェックを入れてください。',
    TOO_MANY_ATTEMPTS:
      '入力の誤りが続いたため、このカードの連携を一時的に止めています。{minutes}\u2060分後にもう一度お試しいただくか、店舗にお問い合わせください（ロックを解除できます）。',
    TOO_MANY_ATTEMPTS_UNTIL:
      '入力の誤りが続いたため、このカードの連携を一時的に止めています。{time}以降にもう一度お試しいただくか、店舗にお問い合わせください（ロックを解除できます）。',
    NOT_LINKED: 'まだカードが連携されていません。連携してください。',
    INVALID_ID_TOKEN: 'ログインの確認ができませんでした。もう一度ログインしてください。',
    ID_TOKEN_EXPIRED: 'ログインの有効期限が切れました。もう一度ログインしてください。',
    SERVICE_UNAVAILABLE: 'ただいま混み合っています。少し待ってからもう一度お試しください。',
    default: 'うまくいきませんでした。少し待ってからもう一度お試しください。',
  },
}
