import type { jaScreens } from './ja-screens.ts'

/**
 * Japanese messages (the default language) of what shows first: the app's frame and the member
 * card. The other screens' are in `ja-screens.ts`, which comes with the router
 * (docs/decisions/019).
 */
export const ja = {
  app: {
    title: '会員証',
    loading: '読み込み中…',
    signInAgain: 'もう一度ログイン',
    signInRequired: 'ログインの有効期限が切れました。もう一度ログインしてください。',
    startFailed: '起動できませんでした。通信環境を確認して、もう一度お試しください。',
    lineLogin: 'LINEでログイン',
    signInPrompt: '会員証を表示するには、LINEアカウントでログインしてください。',
    retry: '再試行',
    nav: { card: '会員証', coupons: 'クーポン', history: '履歴', settings: '設定' },
  },
  card: {
    title: '会員証',
    member: '会員名',
    rank: 'ランク',
    cardNumber: '会員番号',
    points: 'ポイント残高',
    pointsUnit: 'pt',
    qrLabel: '会員証のQRコード。レジでスタッフに読み取ってもらってください。',
    qrHint: 'レジでこのQRコードをご提示ください',
    brightness: '読み取りにくい場合は画面を明るくしてください',
    refreshing: '自動で更新されます',
    offline: 'オフラインです。このコードは{time}まで使えます。',
    expired: '通信できないためコードを表示できません。接続を確認して、再試行してください。',
    updated: '最終更新 {time}',
    coupons: '使えるクーポン {count}\u2060枚',
    shortCode: '手入力用コード',
    offlineCode:
      'オフラインです。残高は{time}時点のものです。コードは30秒ごとに変わり、レジで1回使えます。',
    offlineCodeLabel: 'オフライン用の会員証QRコード。レジでスタッフに読み取ってもらってください。',
    updating: '更新中',
    ranks: { regular: 'レギュラー', silver: 'シルバー', gold: 'ゴールド' },
    expires: '有効期限：{date}',
    multiplier: 'お買い物ポイント{times}\u2060倍',
    nextRank: '{rank}まであと{points}\u00a0pt（{times}\u2060倍）',
    nextRankLabel: '{rank}までの進み具合',
    friendLead: '友だち追加すると、ポイントやクーポンのお知らせがLINEに届きます。',
    friendAdd: '友だち追加',
    friendLater: '今はしない',
    shortcut: 'ホーム画面に会員証を追加',
  },
}

/** The shape every language follows: the first screen's messages and the other screens'. */
export type Messages = typeof ja & typeof jaScreens
