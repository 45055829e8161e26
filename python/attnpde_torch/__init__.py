"""attnpde's PyTorch side: metric-attention (docs/theory.md section 10), a drop-in for
torch.nn.MultiheadAttention whose score is a learned squared distance per head."""
from .metric_attention import MetricAttention

__all__ = ["MetricAttention"]
