/** The marketing screens (issue 15), each loaded when first opened. */
export const mktRoutes = [
  {
    path: '/admin/segments',
    name: 'segments',
    component: () => import('./views/SegmentsView.vue'),
    meta: { title: 'mkt.segment.title' },
  },
  {
    path: '/admin/campaigns',
    name: 'campaigns',
    component: () => import('./views/CampaignsView.vue'),
    meta: { title: 'mkt.campaigns.title' },
  },
  {
    path: '/admin/campaigns/new',
    name: 'campaign-new',
    component: () => import('./views/CampaignNewView.vue'),
    meta: { title: 'mkt.compose.title' },
  },
  {
    path: '/admin/campaigns/:id(\\d+)',
    name: 'campaign',
    component: () => import('./views/CampaignView.vue'),
    props: true,
    meta: { title: 'mkt.campaigns.title' },
  },
  {
    path: '/admin/automations',
    name: 'automations',
    component: () => import('./views/AutomationsView.vue'),
    meta: { title: 'mkt.automations.title' },
  },
  {
    path: '/admin/messaging',
    name: 'messaging',
    component: () => import('./views/MessagingView.vue'),
    meta: { title: 'mkt.messaging.title' },
  },
]
