import { protectionCases } from "./cases/protection";
import { runPolicyCases } from "./lib/cases";

runPolicyCases(protectionCases);
