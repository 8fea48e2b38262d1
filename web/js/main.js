// Wires the page together. The web function renders the API base URL and where to sign in into
// the page's <meta> tags: api-base-url (empty: the API is on this page's origin), oidc-issuer and
// oidc-client-id.
import { createAccount } from "./account.js";
import { createApi } from "./api.js";
import { createBuyButton } from "./buy.js";
import { createCatalog } from "./catalog.js";
import { createDashboard } from "./dashboard.js";
import { byId } from "./dom.js";
import { createHealth } from "./health.js";
import { createSession } from "./session.js";
import { createHelp, installShortcuts } from "./shortcuts.js";
import { createToaster } from "./toast.js";

const meta = (name) => (document.querySelector(`meta[name="${name}"]`)?.getAttribute("content") ?? "").trim();

const session = createSession({ issuer: meta("oidc-issuer"), clientId: meta("oidc-client-id") });
const api = createApi(meta("api-base-url").replace(/\/+$/, ""), {
  token: () => session.token(),
  onUnauthorized: () => void session.end("Your session has ended: the API no longer accepts it."),
});

const toaster = createToaster(byId("toasts"));
const dashboard = createDashboard(api);
const catalog = createCatalog(api, byId("catalog"), byId("catalog-count"));
const account = createAccount(session);
const { buy } = createBuyButton({ api, session, account, dashboard, toaster });
const health = createHealth(api, byId("health"), {
  onRecover: () => {
    void dashboard.refresh();
    void catalog.reloadIfFailed();
  },
});
const help = createHelp(byId("help"), byId("help-open"));

session.subscribe((state) => {
  if (state.status === "signed-in") dashboard.setUser({ username: state.user.name, user_id: state.user.id });
  else dashboard.clear();
});

installShortcuts(
  {
    b: buy,
    r: () => {
      void dashboard.refresh();
      void catalog.load({ fresh: true });
      void health.check();
    },
    "?": help.open,
  },
  help,
);

void session.start();
void catalog.load();
void health.check();
