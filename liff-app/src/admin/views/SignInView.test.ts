import { flushPromises, mount } from '@vue/test-utils'
import { describe, expect, it, vi } from 'vitest'
import { createMemoryHistory } from 'vue-router'
import { createAppI18n } from '../../i18n/index.ts'
import { bodyOf, fakeAdmin, sessionInfo } from '../../test/fake-admin.ts'
import { apiError, json } from '../../test/fake-api.ts'
import AdminApp from '../AdminApp.vue'
import { adminEn } from '../i18n/en.ts'
import { adminJa } from '../i18n/ja.ts'
import { createAdminRouter } from '../router.ts'

async function mountConsole(routes: Parameters<typeof fakeAdmin>[0], path = '/admin') {
  const admin = fakeAdmin(routes)
  const i18n = createAppI18n()
  i18n.global.mergeLocaleMessage('ja', { admin: adminJa })
  i18n.global.mergeLocaleMessage('en', { admin: adminEn })
  const router = createAdminRouter(createMemoryHistory())
  await router.push(path)
  const wrapper = mount(AdminApp, {
    global: { plugins: [admin.pinia, i18n, router], stubs: { Toast: true } },
    attachTo: document.body,
  })
  await router.isReady()
  await flushPromises()
  return { ...admin, wrapper, router }
}

describe('signing in to the console', () => {
  it('sends a signed-out user to the sign-in screen, asks for the TOTP code, then opens the screen first asked for', async () => {
    const { wrapper, router, calls } = await mountConsole(
      {
        'GET /api/admin/session': () => apiError('STAFF_AUTH_REQUIRED', 401),
        'POST /api/admin/session': [
          () => apiError('TOTP_REQUIRED', 401),
          () => json(sessionInfo()),
        ],
        'GET /api/admin/audit': () => json({ items: [], nextCursor: null }),
      },
      '/admin/audit',
    )
    expect(router.currentRoute.value.name).toBe('sign-in')
    expect(router.currentRoute.value.query.next).toBe('/admin/audit')
    expect(wrapper.find('#totp').exists()).toBe(false)

    await wrapper.find('#staff-id').setValue('hq-admin')
    await wrapper.find('#password').setValue('correct horse')
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    expect(wrapper.find('#totp').exists()).toBe(true)
    expect(wrapper.find('[data-testid="sign-in-error"]').text()).toContain('6桁の確認コード')

    await wrapper.find('#totp').setValue('123456')
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    expect(await bodyOf(calls.filter((c) => c.method === 'POST')[1] as Request)).toMatchObject({
      totp: '123456',
    })
    // (The audit screen's code loads on demand.)
    await vi.waitFor(() => expect(router.currentRoute.value.path).toBe('/admin/audit'))
    await flushPromises()
    expect(wrapper.find('[data-testid="signed-in-as"]').text()).toContain('hq-admin')
    wrapper.unmount()
  })

  it('tells a clerk the console is not for this account', async () => {
    const { wrapper, router } = await mountConsole({
      'GET /api/admin/session': () => apiError('STAFF_AUTH_REQUIRED', 401),
      'POST /api/admin/session': () => apiError('FORBIDDEN', 403),
    })
    await wrapper.find('#staff-id').setValue('clerk-1')
    await wrapper.find('#password').setValue('clerk password')
    await wrapper.find('form').trigger('submit')
    await flushPromises()
    expect(wrapper.find('[data-testid="sign-in-error"]').text()).toContain(
      '管理コンソールを利用できません',
    )
    expect(router.currentRoute.value.name).toBe('sign-in')
    wrapper.unmount()
  })
})
