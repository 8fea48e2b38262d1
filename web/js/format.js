// Money and time in the viewer's locale (Intl), prices in US dollars as the catalog has them.
const money = new Intl.NumberFormat(undefined, { style: "currency", currency: "USD" });
const number = new Intl.NumberFormat();
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });
const date = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });
const time = new Intl.DateTimeFormat(undefined, { timeStyle: "medium" });

export const formatMoney = (amount) => money.format(amount);
export const formatCount = (n) => number.format(n);
export const formatDateTime = (iso) => dateTime.format(new Date(iso));
export const formatTime = (d) => time.format(d);
/** [date, time] apart, for layouts that wrap between them. */
export const formatDateAndTime = (iso) => [date.format(new Date(iso)), time.format(new Date(iso))];
