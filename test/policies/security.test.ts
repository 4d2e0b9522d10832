import { securityCases } from "./cases/security";
import { runPolicyCases } from "./lib/cases";

runPolicyCases(securityCases);
