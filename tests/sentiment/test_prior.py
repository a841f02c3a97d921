import numpy as np
import pytest

from pipeline.errors import PipelineError
from pipeline.sentiment import estimate_prior, reweight_to_prior


def _synthetic_scores(n: int, prior: float, train_prior: float, seed: int = 0) -> np.ndarray:
    """Calibrated scores under ``train_prior`` for a dump whose true positive share is ``prior``."""
    rng = np.random.default_rng(seed)
    y = rng.random(n) < prior
    # x ~ N(+-1.5, 1) per class, so log p(x|pos)/p(x|neg) = 3x exactly; posterior under train_prior.
    llr = np.where(y, rng.normal(1.5, 1.0, n), rng.normal(-1.5, 1.0, n)) * 3.0
    logit = llr + np.log(train_prior / (1 - train_prior))
    return 1 / (1 + np.exp(-logit))


@pytest.mark.parametrize("true_prior", [0.15, 0.5, 0.85])
def test_prior_em_recovers_known_prior(true_prior):
    p = _synthetic_scores(20000, true_prior, train_prior=0.47)
    prior, adjusted = estimate_prior(p, train_prior=0.47)
    assert abs(prior - true_prior) < 0.02
    assert abs(adjusted.mean() - prior) < 1e-3


def test_prior_reweight_identity_when_priors_equal():
    p = np.array([0.1, 0.5, 0.9])
    np.testing.assert_allclose(reweight_to_prior(p, 0.4, 0.4), p, atol=1e-6)


def test_prior_rejects_degenerate_train_prior():
    with pytest.raises(PipelineError, match="strictly between 0 and 1"):
        estimate_prior(np.array([0.5]), train_prior=1.0)
