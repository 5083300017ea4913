"""ImageNet top-5 (issue 30 item 5): ``ClassificationTask.top_k`` counts a sample for k when its
label is among the k largest logits, and every classification retraining records top-1 and
top-5 accuracy of both splits (``final.json``'s ``test_top5_acc`` feeds Tables 4.6, 5.1, 6.2)."""

import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

from nasrepro.data.protocols import RetrainData
from nasrepro.spaces.base import ClassificationTask
from nasrepro.train.retrain import RetrainConfig, run_retrain


class Fixed(nn.Module):
    """Returns the logits row of each input's index (the input is that index)."""

    def __init__(self, logits):
        super().__init__()
        self.logits = logits
        self.w = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return self.logits[x.long().flatten()] + 0 * self.w


def test_top_k_counts_labels_among_the_k_largest_logits():
    # 6 classes; ranks of the label: 1st, 2nd, 5th, 6th
    logits = torch.tensor([[9., 1, 2, 3, 4, 5],
                           [5., 9, 1, 2, 3, 4],
                           [9., 8, 7, 6, 1, 5],
                           [9., 8, 7, 6, 5, 1]])
    labels = torch.tensor([0, 0, 5, 5])
    batches = [(torch.arange(4), labels)]
    top = ClassificationTask().top_k(Fixed(logits), batches, torch.device("cpu"), (1, 2, 5))
    assert top == {1: 25.0, 2: 50.0, 5: 75.0}
    assert ClassificationTask().score(Fixed(logits), batches, torch.device("cpu")) == 25.0
    three = torch.tensor([[3., 2, 1]])  # fewer classes than k: every label is in the top 5
    assert ClassificationTask().top_k(Fixed(three), [(torch.zeros(1), torch.tensor([2]))],
                                      torch.device("cpu"))[5] == 100.0


def test_retraining_records_top1_and_top5_of_both_splits(tmp_path):
    torch.manual_seed(0)
    x = torch.randn(40, 1, 4, 4)
    y = torch.arange(40) % 8
    split = TensorDataset(x, y)
    data = RetrainData(split, split, TensorDataset(x[:16], y[:16]))
    net = nn.Sequential(nn.Flatten(), nn.Linear(16, 8))
    records = run_retrain(net, data, RetrainConfig(epochs=1, batch_size=8, eval_batch_size=8),
                          0, torch.device("cpu"), tmp_path / "s", "fp")
    record = records[-1]
    for split_name in ("valid", "test"):
        top1, top5 = record[f"{split_name}_acc"], record[f"{split_name}_top5_acc"]
        assert 0.0 <= top1 <= top5 <= 100.0
    net.eval()
    expected = ClassificationTask().top_k(net, [(x[:16], y[:16])], torch.device("cpu"))
    assert record["test_top5_acc"] == pytest.approx(expected[5])
    assert record["test_acc"] == pytest.approx(expected[1])
