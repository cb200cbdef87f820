// The digamma function ψ(z) = d/dz ln Γ(z), for the models' analytic
// likelihood gradients (the standard library has lgamma but no digamma).
#pragma once

namespace analytics::predict {

// ψ(z) for z > 0: the recurrence ψ(z) = ψ(z+1) − 1/z up to z >= 10, then the
// asymptotic series; about 1e-15 relative.
double Digamma(double z);

}  // namespace analytics::predict
