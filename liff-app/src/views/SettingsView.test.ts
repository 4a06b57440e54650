import { createTestingPinia } from '@pinia/testing'
import { flushPromises, mount } from '@vue/test-utils'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory, createRouter } from 'vue-router'
import { startI18n } from '../i18n/index.ts'
import { jaScreens } from '../i18n/ja-screens.ts'
import { ApiFailure } from '../lib/api.ts'
import { useMemberStore } from '../stores/member.ts'
import { usePointsStore } from '../stores/points.ts'
import { useSessionStore } from '../stores/session.ts'
import SettingsView from './SettingsView.vue'

// happy-dom's <dialog> only toggles `open` (no focus trap, no inertness, no Esc): those are the
// browser's, proven in tests/browser/customer-app.test.ts. Here: what the component does.

async function mountSettings(kind: 'liff' | 'web' | 'none' = 'liff') {
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/settings', name: 'settings', component: SettingsView },
      { path: '/link', name: 'link', component: { template: '<p>link</p>' } },
    ],
  })
  await router.push('/settings')
  const pinia = createTestingPinia({
    createSpy: vi.fn,
    initialState: { member: { linked: true }, session: { kind } },
  })
  // As main.ts does once the router has arrived: the other screens' Japanese messages.
  const i18n = await startI18n('ja')
  i18n.global.mergeLocaleMessage('ja', jaScreens)
  const wrapper = mount(SettingsView, {
    global: { plugins: [pinia, router, i18n] },
    attachTo: document.body,
  })
  const dialog = wrapper.get('[data-testid="unlink-dialog"]').element as HTMLDialogElement
  return {
    wrapper,
    router,
    dialog,
    unlinkButton: wrapper.get('[data-testid="unlink"]').element as HTMLButtonElement,
    cancelButton: wrapper.get('[data-testid="unlink-cancel"]').element as HTMLButtonElement,
    confirm: () => wrapper.findAll('dialog button').find((b) => b.text() === '解除する')!,
    member: useMemberStore(pinia),
    points: usePointsStore(pinia),
    session: useSessionStore(pinia),
  }
}

afterEach(() => {
  vi.restoreAllMocks()
  document.body.innerHTML = ''
  localStorage.clear()
})

describe('settings: the unlink confirmation', () => {
  it('is a modal <dialog> named by its title and described by its text, focus on cancel', async () => {
    const showModal = vi.spyOn(HTMLDialogElement.prototype, 'showModal')
    const { wrapper, dialog, cancelButton } = await mountSettings()
    expect(dialog.tagName).toBe('DIALOG')
    expect(dialog.open).toBe(false)
    expect(dialog.getAttribute('role')).toBe('alertdialog')
    expect(document.getElementById(dialog.getAttribute('aria-labelledby')!)?.textContent).toBe(
      '連携を解除しますか？',
    )
    expect(
      document.getElementById(dialog.getAttribute('aria-describedby')!)?.textContent,
    ).toContain('ポイントはカードに残ります')

    await wrapper.get('[data-testid="unlink"]').trigger('click')
    expect(showModal).toHaveBeenCalledOnce()
    expect(dialog.open).toBe(true)
    // The safe choice first.
    expect(document.activeElement).toBe(cancelButton)
    expect(cancelButton.textContent?.trim()).toBe('キャンセル')
    expect(cancelButton.hasAttribute('autofocus')).toBe(true)
    wrapper.unmount()
  })

  it('Tab and Shift+Tab wrap around inside it', async () => {
    const { wrapper, cancelButton, confirm } = await mountSettings()
    await wrapper.get('[data-testid="unlink"]').trigger('click')
    const confirmButton = confirm().element as HTMLButtonElement
    // From the first, Tab is the browser's (to the next button); Shift+Tab wraps to the last.
    const forward = new KeyboardEvent('keydown', { key: 'Tab', bubbles: true, cancelable: true })
    cancelButton.dispatchEvent(forward)
    expect(forward.defaultPrevented).toBe(false)
    await wrapper
      .get('[data-testid="unlink-cancel"]')
      .trigger('keydown', { key: 'Tab', shiftKey: true })
    expect(document.activeElement).toBe(confirmButton)
    // From the last, Tab wraps to the first.
    await confirm().trigger('keydown', { key: 'Tab' })
    expect(document.activeElement).toBe(cancelButton)
    wrapper.unmount()
  })

  it('cancel closes it, unlinks nothing and gives focus back to the unlink button', async () => {
    const { wrapper, dialog, unlinkButton, member } = await mountSettings()
    await wrapper.get('[data-testid="unlink"]').trigger('click')
    await wrapper.get('[data-testid="unlink-cancel"]').trigger('click')
    expect(dialog.open).toBe(false)
    expect(document.activeElement).toBe(unlinkButton)
    expect(member.unlink).not.toHaveBeenCalled()
    wrapper.unmount()
  })

  it('Esc (the browser cancels, then closes) and a backdrop click close it, focus back', async () => {
    const { wrapper, dialog, unlinkButton, member } = await mountSettings()
    await wrapper.get('[data-testid="unlink"]').trigger('click')
    const esc = new Event('cancel', { cancelable: true })
    dialog.dispatchEvent(esc)
    expect(esc.defaultPrevented).toBe(false)
    dialog.close() // what the browser does next
    expect(document.activeElement).toBe(unlinkButton)

    await wrapper.get('[data-testid="unlink"]').trigger('click')
    // A click inside the panel keeps it; a click on the dialog element itself is the backdrop.
    await wrapper.get('#unlink-body').trigger('click')
    expect(dialog.open).toBe(true)
    await wrapper.get('[data-testid="unlink-dialog"]').trigger('click')
    expect(dialog.open).toBe(false)
    expect(document.activeElement).toBe(unlinkButton)
    expect(member.unlink).not.toHaveBeenCalled()
    wrapper.unmount()
  })

  it('confirming unlinks, closes it and goes to the link screen with a notice', async () => {
    const { wrapper, dialog, router, member, points, session, confirm } = await mountSettings()
    await wrapper.get('[data-testid="unlink"]').trigger('click')
    await confirm().trigger('click')
    await flushPromises()
    expect(member.unlink).toHaveBeenCalledOnce()
    expect(points.reset).toHaveBeenCalled()
    expect(session.flash).toHaveBeenCalledWith('連携を解除しました')
    expect(dialog.open).toBe(false)
    expect(router.currentRoute.value.name).toBe('link')
    wrapper.unmount()
  })

  it('stays open while unlinking (Esc and backdrop refused) and shows a failure inside', async () => {
    const { wrapper, dialog, router, member, confirm } = await mountSettings()
    let fail: (err: unknown) => void = () => undefined
    vi.mocked(member.unlink).mockReturnValueOnce(
      new Promise<void>((_, reject) => {
        fail = reject
      }),
    )
    await wrapper.get('[data-testid="unlink"]').trigger('click')
    await confirm().trigger('click')
    expect(confirm().attributes('disabled')).toBeDefined()
    const esc = new Event('cancel', { cancelable: true })
    dialog.dispatchEvent(esc)
    expect(esc.defaultPrevented).toBe(true)
    await wrapper.get('[data-testid="unlink-dialog"]').trigger('click')
    await wrapper.get('[data-testid="unlink-cancel"]').trigger('click')
    expect(dialog.open).toBe(true)

    fail(new ApiFailure('NETWORK', 0))
    await flushPromises()
    expect(dialog.open).toBe(true)
    expect(wrapper.get('dialog [role="alert"]').text()).toContain('通信できませんでした')
    expect(router.currentRoute.value.name).toBe('settings')
    // Opening it again starts without the old error.
    await wrapper.get('[data-testid="unlink-cancel"]').trigger('click')
    await wrapper.get('[data-testid="unlink"]').trigger('click')
    expect(wrapper.find('dialog [role="alert"]').exists()).toBe(false)
    wrapper.unmount()
  })
})

describe('settings: the language', () => {
  it('switches to English once its messages have loaded, and remembers it', async () => {
    const { wrapper } = await mountSettings()
    expect(wrapper.get('h1').text()).toBe('設定')
    await wrapper.get('#lang-en').setValue(true)
    await flushPromises()
    await vi.waitFor(() => expect(wrapper.get('h1').text()).toBe('Settings'))
    expect(document.documentElement.lang).toBe('en')
    expect(localStorage.getItem('membercard.lang')).toBe('en')
    expect((wrapper.get('#lang-en').element as HTMLInputElement).checked).toBe(true)
    await wrapper.get('#lang-ja').setValue(true)
    await flushPromises()
    expect(wrapper.get('h1').text()).toBe('設定')
    expect(document.documentElement.lang).toBe('ja')
    wrapper.unmount()
  })
})

describe('settings: signing in and out', () => {
  it('in a web session: ログアウト ends it (and no "sign in again")', async () => {
    const { wrapper, session } = await mountSettings('web')
    const signOut = wrapper.get('[data-testid="sign-out"]')
    expect(signOut.text()).toBe('ログアウト')
    expect(wrapper.text()).toContain('このブラウザーでのログインを終了します。')
    expect(wrapper.text()).not.toContain('もう一度ログインする')
    await signOut.trigger('click')
    expect(session.signOut).toHaveBeenCalledTimes(1)
  })

  it('with LIFF: "sign in again", no ログアウト', async () => {
    const { wrapper } = await mountSettings('liff')
    expect(wrapper.find('[data-testid="sign-out"]').exists()).toBe(false)
    expect(wrapper.text()).toContain('もう一度ログインする')
  })
})
