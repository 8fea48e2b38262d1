// Wires the page together. The API base URL comes from the <meta name="api-base-url"> the web
// function renders from API_BASE_URL (empty: the API is on this page's origin).
import { createApi } from "./api.js";
import { createBuyButton } from "./buy.js";
import { createCatalog } from "./catalog.js";
import { createDashboard } from "./dashboard.js";
import { byId } from "./dom.js";
import { createHealth } from "./health.js";
import { createHelp, installShortcuts } from "./shortcuts.js";
import { createToaster } from "./toast.js";
import { createUserForm } from "./user-form.js";

const meta = document.querySelector('meta[name="api-base-url"]');
const api = createApi((meta?.getAttribute("content") ?? "").trim().replace(/\/+$/, ""));

const toaster = createToaster(byId("toasts"));
const dashboard = createDashboard(api);
const catalog = createCatalog(api, byId("catalog"), byId("catalog-count"));
const userForm = createUserForm((user) => dashboard.setUser(user));
const { buy } = createBuyButton({ api, userForm, dashboard, toaster });
const health = createHealth(api, byId("health"), {
  onRecover: () => {
    void dashboard.refresh();
    void catalog.reloadIfFailed();
  },
});
const help = createHelp(byId("help"), byId("help-open"));

installShortcuts(
  {
    b: buy,
    r: () => {
      void dashboard.refresh();
      void catalog.load({ fresh: true });
      void health.check();
    },
    "/": userForm.focus,
    "?": help.open,
  },
  help,
);

void catalog.load();
void health.check();
