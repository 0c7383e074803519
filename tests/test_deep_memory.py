import torch

from clusterlab.deep.memory import MemoryBank, anchor_share, neighbourhood_loss, select_anchors


def test_anchor_share_grows_by_round():
    assert [anchor_share(r, 5) for r in range(5)] == [0.0, 0.25, 0.5, 0.75, 1.0]


def test_lowest_entropy_samples_become_anchors_with_their_nearest_neighbour():
    bank = MemoryBank(6, dim=2, temperature=0.1)
    # two tight pairs (low entropy: a clear neighbour) and two lone points on the way between
    bank.bank[:] = torch.nn.functional.normalize(torch.tensor(
        [[1.0, 0.0], [1.0, 0.02], [0.0, 1.0], [0.02, 1.0], [0.7, 0.7], [-1.0, -0.1]]), dim=1)
    entropy, neighbour = bank.entropy_and_neighbour(chunk=4)
    assert neighbour.tolist()[:4] == [1, 0, 3, 2]
    mask = select_anchors(entropy, 0.5)
    assert mask.sum() == 3 and not mask[4] and not mask[5]


def test_loss_on_a_hand_made_memory():
    logits = torch.log(torch.tensor([[0.5, 0.3, 0.2], [0.1, 0.6, 0.3]]))
    index = torch.tensor([0, 1])
    neighbour = torch.tensor([1, 2, 0])
    none = neighbourhood_loss(logits, index, torch.zeros(3, dtype=torch.bool), neighbour)
    assert torch.isclose(none, -(torch.log(torch.tensor(0.5)) + torch.log(torch.tensor(0.6))) / 2)
    both = neighbourhood_loss(logits, index, torch.ones(3, dtype=torch.bool), neighbour)
    assert torch.isclose(both, -(torch.log(torch.tensor(0.8)) + torch.log(torch.tensor(0.9))) / 2)


def test_memory_update_mixes_and_renormalises():
    bank = MemoryBank(2, dim=2, momentum=0.5)
    bank.bank[:] = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    bank.update(torch.tensor([0]), torch.tensor([[0.0, 1.0]]))
    assert torch.allclose(bank.bank[0], torch.tensor([0.7071, 0.7071]), atol=1e-4)
    assert torch.allclose(bank.bank[1], torch.tensor([0.0, 1.0]))


def test_entropy_and_neighbour_match_their_definition():
    torch.manual_seed(0)
    bank = MemoryBank(50, dim=8, temperature=0.2)
    entropy, neighbour = bank.entropy_and_neighbour(chunk=16)
    sims = bank.bank @ bank.bank.T
    sims.fill_diagonal_(-float("inf"))
    p = torch.softmax(sims / 0.2, dim=1)
    expected = -(p * p.clamp_min(1e-30).log()).sum(dim=1)
    assert torch.allclose(entropy, expected, atol=1e-4)
    assert torch.equal(neighbour, sims.argmax(dim=1))
