import { cloudflareCases } from "./cases/cloudflare";
import { runPolicyCases } from "./lib/cases";

runPolicyCases(cloudflareCases);
