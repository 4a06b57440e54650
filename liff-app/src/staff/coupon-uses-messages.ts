/** The till's list of today's coupon uses (in `messages.ts`, under `staff.couponUses`). */
const ja = {
  title: '本日のクーポン使用',
  empty: '本日のクーポン使用はまだありません。',
  more: 'さらに表示',
  bonus: '{points}\u00a0pt 付与',
  followUp: '次回クーポン「{title}」を発行',
  reverse: '使用を取消',
  reverseConfirm: 'クーポン「{title}」の使用を取り消しますか？クーポンはお客様に戻ります。',
  reversePoints: '付与した{points}\u00a0ptも取り消します。',
  reverseFollowUp: 'この使用で発行した次回クーポン「{title}」も取り消します。',
  reverseOk: '取り消す',
  reverseCancel: 'やめる',
  reversing: '取り消し中…',
  reversed: '取消済み',
  done: 'クーポン「{title}」の使用を取り消しました。お会計の値引き・特典も取り消してください。新しい残高：{balance}\u00a0pt',
  followUpUsed:
    'この使用で発行した次回クーポンがすでに使われているため、取り消せません。先に次回クーポンの使用を取り消してください。',
  askManager: 'クーポン使用の取消は店長のみ行えます（使用から{window}以内）。',
}

const en: typeof ja = {
  title: "Today's coupon uses",
  empty: 'No coupon uses yet today.',
  more: 'Show more',
  bonus: '{points}\u00a0pt added',
  followUp: 'Gave the follow-up coupon "{title}"',
  reverse: 'Reverse use',
  reverseConfirm: 'Reverse the use of "{title}"? The customer gets the coupon back.',
  reversePoints: 'The {points}\u00a0pt it added are taken back.',
  reverseFollowUp: 'The follow-up coupon "{title}" it gave is taken back.',
  reverseOk: 'Reverse',
  reverseCancel: 'Keep it',
  reversing: 'Reversing…',
  reversed: 'Reversed',
  done: 'The use of "{title}" is reversed. Undo its discount or gift on the bill too. New balance: {balance}\u00a0pt',
  followUpUsed:
    'The follow-up coupon this use gave has been used already, so it cannot be reversed. Reverse that use first.',
  askManager: 'Only a manager can reverse a coupon use (within {window} of it).',
}

export const couponUsesMessages = { ja, en } as const
