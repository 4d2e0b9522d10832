export * from "./alert-rules";
export * from "./alertmanager-config";
export * from "./blackbox-exporter";
export * from "./dashboards";
export { publicHostnames } from "./blackbox-config";
export { ruleCatalog, symptomAlertNames } from "./alert-catalog";
export { platformDashboards } from "./dashboard-catalog";
