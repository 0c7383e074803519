import json

import numpy as np
import pytest
import torch

from clusterlab.deep import METHODS, load_config, make_method
from clusterlab.deep.methods.atc import ATCDeepEntropy
from clusterlab.deep.methods.base import soft_assign, target_distribution
from clusterlab.deep.nets import NETS, build_autoencoder
from clusterlab.deep.session import Session
from clusterlab.errors import DataError, NotFoundError, ParameterError
from conftest import run_cli


@pytest.fixture(scope="module")
def images():
    """Three kinds of 12 x 12 images (a bar, a cross, a frame), 20 each, with pixel noise."""
    rng = np.random.default_rng(0)
    base = np.zeros((3, 12, 12), dtype=np.float32)
    base[0, 5:7, :] = 1
    base[1, 5:7, :] = 1
    base[1, :, 5:7] = 1
    base[2, [0, -1], :] = 1
    base[2, :, [0, -1]] = 1
    y = np.repeat(np.arange(3), 20)
    x = np.clip(base[y] + rng.normal(0, 0.1, (60, 12, 12)), 0, 1).astype(np.float32)
    return x, y


@pytest.fixture
def images_file(images, tmp_path):
    x, y = images
    path = tmp_path / "shapes.npz"
    np.savez(path, x=x, y=y)
    return path


@pytest.mark.parametrize("net", NETS)
def test_every_net_reconstructs_the_input_shape(net):
    ae = build_autoencoder(net, (1, 12, 12), latent=4)
    z, r = ae(torch.rand(5, 1, 12, 12))
    assert z.shape == (5, 4) and r.shape == (5, 1, 12, 12)


@pytest.mark.parametrize("name", list(METHODS))
def test_every_method_trains_a_step_or_two(name, images):
    x, _ = images
    extra = {"manifold": "pca"} if name == "n2d" else {}
    if name in ("dec", "idec", "atc"):
        extra["refine_epochs"] = 1
    if name == "and":
        extra.update(max_round=2, max_epoch=1, autok_consensus_methods=["silhouette"], autok_max_k=5)
    if name == "backbone":  # a frozen pretrained network: only the head's options are its own
        m = make_method(name, n_clusters=3, head_epochs=2, self_label_epochs=1, n_neighbors=5, batch_size=16)
        assert m.fit_predict(x).shape == (60,) and m.transform(x).shape == (60, 1280)
        return
    if name == "patch_kmeans":  # it trains no network, so the network's options are not its own
        m = make_method(name, n_clusters=3, atoms=8, patch=4, n_patches=500, dims=4, batch_size=16)
        assert m.fit_predict(x).shape == (60,) and m.transform(x).shape == (60, 4)
        return
    m = make_method(name, n_clusters=3, pretrain_epochs=2, batch_size=16, net="mlp", net_options={"hidden": (32, 16)},
                    latent=4, **extra)
    labels = m.fit_predict(x)
    assert labels.shape == (60,) and labels.min() >= 0 and labels.max() < 3
    assert m.transform(x).shape == (60, 128 if name == "and" else 4)


def test_soft_assignment_and_target():
    z = torch.tensor([[0.0, 0.0], [10.0, 0.0]])
    q = soft_assign(z, torch.tensor([[0.0, 0.0], [10.0, 0.0]]))
    assert torch.allclose(q.sum(dim=1), torch.ones(2)) and q[0, 0] > 0.99
    p = target_distribution(torch.tensor([[0.6, 0.4], [0.5, 0.5]]))
    assert p[0, 0] > 0.6  # sharper than q


def test_entropy_term_is_zero_for_equal_sizes_and_positive_otherwise():
    m = ATCDeepEntropy(n_clusters=2, net="mlp")
    z = torch.zeros(4, 2)
    assert float(m.extra_loss(z, torch.tensor([[1.0, 0.0], [0.0, 1.0]] * 2), None)) == pytest.approx(0.0, abs=1e-6)
    assert float(m.extra_loss(z, torch.tensor([[1.0, 0.0]] * 4), None)) == pytest.approx(0.1 * np.log(2), rel=1e-4)


def _config(path, tmp_path, *more):
    return load_config(None, ["method=idec", f"data.source={path}", "data.label=y", "model.n_clusters=3",
                              "model.net=conv_res", "model.net_options={depth: 1, width: 8}", "model.latent=4",
                              "model.pretrain_epochs=2", "model.refine_epochs=2", "model.batch_size=16",
                              f"run.out={tmp_path}", *more])


def test_resume_ends_in_the_same_state_as_an_uninterrupted_run(images_file, tmp_path):
    straight = Session.new(_config(images_file, tmp_path, "run.name=straight"))
    a = straight.run()
    killed = Session.new(_config(images_file, tmp_path, "run.name=killed"))

    def kill_after_step_3(record, total):
        if record["step"] == 3:  # the checkpoint of step 3 is on disk: die now
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        killed.run(progress=kill_after_step_3)
    b = Session.open(killed.folder).run(resume=True)
    assert b["epochs"] == a["epochs"] == 4
    assert b["acc"] == pytest.approx(a["acc"]) and b["cluster_sizes"] == a["cluster_sizes"]
    from safetensors.torch import load_file
    wa = load_file(str(straight.folder / "checkpoint" / "weights.safetensors"))
    wb = load_file(str(killed.folder / "checkpoint" / "weights.safetensors"))
    assert all(torch.allclose(wa[k].float(), wb[k].float(), atol=1e-5) for k in wa)
    for name in ("training-curves.png", "cluster-balance.png", "confusion.png"):
        assert (straight.folder / "figures" / name).stat().st_size > 1000
    assert any((straight.folder / "tensorboard").iterdir())
    tested = Session.open(straight.folder).run(test_only=True)
    assert tested["acc"] == pytest.approx(a["acc"])


def test_corrupt_checkpoint_and_config_are_clear_errors(images_file, tmp_path):
    s = Session.new(_config(images_file, tmp_path, "run.name=r", "model.refine_epochs=0"))
    s.run()
    (s.folder / "checkpoint" / "weights.safetensors").write_bytes(b"\x00 not a checkpoint")
    with pytest.raises(DataError, match="corrupt"):
        Session.open(s.folder).run(resume=True)
    bad = tmp_path / "bad.yaml"
    bad.write_text("method: [unclosed")
    with pytest.raises(DataError, match="not valid YAML"):
        load_config(bad)
    bad.write_text("method: dec\nmodel: {epochs: 3}\n")
    with pytest.raises(ParameterError, match="model.epochs is not an option of dec"):
        load_config(bad)
    with pytest.raises(ParameterError, match="allowed"):
        load_config(None, ["method=kmeans"])
    with pytest.raises(NotFoundError):
        load_config(tmp_path / "missing.yaml")
    with pytest.raises(DataError, match="already holds a run"):
        Session.new(_config(images_file, tmp_path, "run.name=r"))


def test_cli_deep_train_resume_and_errors(images_file, tmp_path):
    args = ["deep", "train", "method=ae_kmeans", f"data.source={images_file}", "data.label=y",
            "model.n_clusters=3", "model.net=mlp", "model.net_options={hidden: [16]}", "model.pretrain_epochs=1",
            f"run.out={tmp_path}", "run.name=cli"]
    r = run_cli(*args, "--seeds", "0,1")
    assert r.returncode == 0, r.stderr
    assert "over seeds ACC" in r.stdout
    result = json.loads((tmp_path / "cli-seed0" / "result.json").read_text())
    assert set(result) >= {"acc", "nmi", "ari", "cluster_sizes"}
    r = run_cli("deep", "train", "--test-only", str(tmp_path / "cli-seed1"))
    assert r.returncode == 0, r.stderr
    r = run_cli("deep", "train", "model.pretrain_epochs=-1x", "method=nope")
    assert r.returncode == 2 and r.stderr.startswith("error:")
    r = run_cli("deep", "train", "--resume", str(tmp_path / "nowhere"))
    assert r.returncode == 2 and "not a run folder" in r.stderr


def test_affine_jitter_is_seeded_and_keeps_shape(images):
    from clusterlab.deep.methods.base import epoch_generator, jitter

    x = torch.from_numpy(images[0][:8, None])
    a, b = jitter(x, epoch_generator(0, 0, 1)), jitter(x, epoch_generator(0, 0, 1))
    assert a.shape == x.shape and torch.equal(a, b) and not torch.equal(a, x)
    with pytest.raises(ParameterError, match="augment"):
        make_method("dec", augment="mixup")


def test_contrastive_view_is_seeded_and_stays_an_image(images):
    from clusterlab.deep.augment import contrastive_view
    from clusterlab.deep.methods.base import epoch_generator

    x = torch.from_numpy(images[0][:8, None])
    a, b = contrastive_view(x, epoch_generator(0, 0, 1)), contrastive_view(x, epoch_generator(0, 0, 1))
    assert a.shape == x.shape and torch.equal(a, b) and not torch.equal(a, x)
    assert float(a.min()) >= 0 and float(a.max()) <= 1


def test_nt_xent_counts_both_halves_as_negatives():
    from clusterlab.deep.losses import nt_xent

    a = torch.eye(4)  # orthonormal codes: the twin scores 1 / T, each of the 6 other views 0
    assert float(nt_xent(a, a, 0.5)) == pytest.approx(-np.log(np.exp(2) / (np.exp(2) + 6)), rel=1e-5)
    assert float(nt_xent(a, a[[1, 2, 3, 0]], 0.5)) > float(nt_xent(a, a, 0.5))


def test_n2d_names_the_allowed_pretraining_objectives():
    with pytest.raises(ParameterError, match="reconstruction, contrastive"):
        make_method("n2d", pretrain="masked")
    with pytest.raises(ParameterError, match="temperature"):
        make_method("n2d", pretrain="contrastive", temperature=0)


def test_n2d_contrastive_pretraining_lowers_its_loss(images):
    x = torch.from_numpy(images[0][:, None])
    m = make_method("n2d", n_clusters=3, pretrain="contrastive", batch_size=30, net="mlp",
                    net_options={"hidden": (64,)}, latent=8, lr=3e-3)
    m.build((1, 12, 12))
    losses = [m.train_epoch(0, epoch, x)["contrastive"] for epoch in range(20)]
    chance = np.log(2 * 30 - 1)  # the twin is one of 59 other views
    assert losses[0] == pytest.approx(chance, abs=0.2) and np.mean(losses[-3:]) < chance - 0.7
    assert m.transform(images[0]).shape == (60, 8)


def test_n2d_names_the_allowed_manifolds_and_clusterers():
    with pytest.raises(ParameterError, match="umap, pca, sphere"):
        make_method("n2d", manifold="tsne")
    with pytest.raises(ParameterError, match="mixture, kmeans"):
        make_method("n2d", clusterer="dbscan")


def test_n2d_sphere_clusters_codes_by_direction_not_length(images):
    """Codes along three directions, each at two lengths a factor of ten apart: on the unit sphere
    k-means finds the directions; on the raw codes it cuts by length instead."""
    x = torch.from_numpy(images[0][:, None])
    rng = np.random.default_rng(0)
    direction = np.repeat(np.arange(3), 20)
    length = np.tile([0.5, 5.0], 30)
    codes = (np.eye(4)[direction] + rng.normal(0, 0.05, (60, 4))) * length[:, None]

    def labels(manifold):
        m = make_method("n2d", n_clusters=3, net="mlp", latent=4, manifold=manifold, clusterer="kmeans",
                        manifold_dims=4)
        m.build((1, 12, 12))
        m.embed = lambda data, batch_size=1024: torch.from_numpy(codes.astype(np.float32))
        m.finish(x)
        return m.predict_tensor(x)

    from clusterlab.metrics import ari
    assert ari(direction, labels("sphere")) == pytest.approx(1.0)
    assert ari(direction, labels("pca")) < 0.9


def _n2d_contrastive_config(path, tmp_path, name):
    return load_config(None, ["method=n2d", f"data.source={path}", "data.label=y", "model.n_clusters=3",
                              "model.net=mlp", "model.net_options={hidden: [32]}", "model.latent=4",
                              "model.pretrain=contrastive", "model.pretrain_epochs=4", "model.batch_size=16",
                              "model.manifold=pca", f"run.out={tmp_path}", f"run.name={name}"])


def test_n2d_contrastive_resume_ends_in_the_same_state(images_file, tmp_path):
    """The projection head is part of the checkpoint, so a killed contrastive run resumes exactly."""
    straight = Session.new(_n2d_contrastive_config(images_file, tmp_path, "straight"))
    a = straight.run()
    killed = Session.new(_n2d_contrastive_config(images_file, tmp_path, "killed"))

    def kill_after_step_2(record, total):
        if record["step"] == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        killed.run(progress=kill_after_step_2)
    b = Session.open(killed.folder).run(resume=True)
    from safetensors.torch import load_file
    wa = load_file(str(straight.folder / "checkpoint" / "weights.safetensors"))
    wb = load_file(str(killed.folder / "checkpoint" / "weights.safetensors"))
    assert any(k.startswith("model.head.") for k in wa)
    assert wa.keys() == wb.keys() and all(torch.allclose(wa[k], wb[k], atol=1e-5) for k in wa)
    assert b["cluster_sizes"] == a["cluster_sizes"]


@pytest.mark.parametrize("manifold, clusterer", [("pca", "mixture"), ("sphere", "kmeans")])
def test_n2d_self_labelling_relabels_every_image(images, manifold, clusterer):
    x, y = images
    m = make_method("n2d", n_clusters=3, pretrain_epochs=2, batch_size=16, net="mlp", net_options={"hidden": (32,)},
                    latent=4, manifold=manifold, clusterer=clusterer, self_label_epochs=2)
    labels = m.fit_predict(x)
    assert m._classifier is not None and labels.shape == (60,) and set(labels) <= {0, 1, 2}


def test_n2d_self_labelling_mends_wrongly_labelled_images(images):
    """The CNN learns from every image's mixture label, so a few wrong labels among many right
    ones are outvoted: it should give most of the flipped images back their own class."""
    x, y = images
    m = make_method("n2d", n_clusters=3, net="mlp", latent=4, self_label_epochs=60)
    m.build((1, 12, 12))
    noisy = y.copy()
    flipped = np.arange(0, 60, 10)  # two images of each class, each moved to the next class
    noisy[flipped] = (y[flipped] + 1) % 3
    net = m._self_label(torch.from_numpy(x[:, None]), np.eye(3)[noisy])
    with torch.no_grad():
        relabelled = net(torch.from_numpy(x[:, None])).argmax(dim=1).numpy()
    assert (relabelled == y).mean() > 0.95 and (relabelled[flipped] == y[flipped]).sum() >= 5


def test_and_autok_feedback_sets_the_number_of_clusters(images):
    x, _ = images
    m = make_method("and", n_clusters=7, max_round=2, max_epoch=1, batch_size=16, autok_cycle_level="epoch",
                    autok_method_cycle=["silhouette", "calinski_harabasz"], autok_max_k=5, autok_feedback=True)
    labels = m.fit_predict(x)
    assert [e["method"] for e in m.k_estimates] == ["silhouette", "silhouette"]  # cycled by epoch: epoch 0 twice
    assert len(set(labels)) == m.k_estimates[-1]["k"] <= 5


def test_weighted_knn_accuracy_on_separable_features():
    from clusterlab.deep.methods.and_method import weighted_knn_accuracy

    f = torch.nn.functional.normalize(torch.tensor([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]]), dim=1)
    y = [0, 0, 1, 1]
    assert weighted_knn_accuracy(f, y, f, y, k=1, leave_one_out=True) == 1.0


def test_and_session_logs_autok_embeddings_to_the_projector(images_file, tmp_path):
    config = load_config(None, ["method=and", f"data.source={images_file}", "data.label=y", "model.n_clusters=3",
                                "model.max_round=2", "model.max_epoch=1", "model.batch_size=16",
                                "model.autok_consensus_methods=[silhouette]", "model.autok_max_k=5",
                                "model.autok_sample_size=40", f"run.out={tmp_path}", "run.name=and"])
    result = Session.new(config).run()
    assert result["k_estimates"] and "knn_accuracy" in result
    board = tmp_path / "and" / "tensorboard"
    config_file = board / "projector_config.pbtxt"
    assert config_file.exists() and "memory/round1-epoch0-consensus" in config_file.read_text()
    metadata = sorted(board.rglob("metadata.tsv"))
    assert metadata and metadata[0].read_text().splitlines()[0] == "cluster\ttruth"
    assert len(metadata[0].read_text().splitlines()) == 41  # header + the 40 sampled memory rows


def test_patch_dictionary_convolutions_equal_the_windowed_definition():
    """The encoder computes each window's normalisation, whitening and distances by convolutions;
    they must give what normalising, whitening and comparing every unfolded window gives."""
    from clusterlab.deep.nets.patches import PatchDictionary

    torch.manual_seed(0)
    d = PatchDictionary((3, 12, 12), atoms=7, patch=4)
    d.fit(torch.rand(40, 3, 12, 12), 2000, seed=0)
    x = torch.rand(5, 3, 12, 12)
    u = torch.nn.functional.unfold(x, 4).transpose(1, 2)
    u = u - u.mean(2, keepdim=True)
    u = (u / torch.sqrt(u.var(2, keepdim=True, unbiased=False) + d.contrast_eps) - d.mean) @ d.whitening
    dist = torch.cdist(u, d.dictionary.expand(5, -1, -1))
    act = (dist.mean(2, keepdim=True) - dist).clamp(min=0).reshape(5, 9, 9, 7)
    quadrants = [act[:, :4, :4], act[:, :4, 4:], act[:, 4:, :4], act[:, 4:, 4:]]
    expected = torch.cat([q.sum((1, 2)) for q in quadrants], 1)
    assert torch.allclose(d(x), expected, atol=1e-4) and float(expected.max()) > 1


def test_patch_kmeans_separates_shapes_and_its_checkpoint_is_the_whole_model(images_file, images, tmp_path):
    config = load_config(None, ["method=patch_kmeans", f"data.source={images_file}", "data.label=y",
                                "model.n_clusters=3", "model.atoms=16", "model.patch=4", "model.n_patches=2000",
                                "model.dims=6", "model.batch_size=16", f"run.out={tmp_path}", "run.name=p"])
    trained = Session.new(config).run()
    assert trained["ari"] > 0.9
    assert not (tmp_path / "p" / "checkpoint" / "optimizer.safetensors").exists()  # nothing was trained by gradient
    tested = Session.open(tmp_path / "p").run(test_only=True)
    assert tested["cluster_sizes"] == trained["cluster_sizes"] and tested["ari"] == pytest.approx(trained["ari"])


def test_patch_kmeans_refuses_network_options_and_impossible_sizes(images):
    with pytest.raises(ParameterError, match="no option lr"):
        make_method("patch_kmeans", lr=0.1)
    with pytest.raises(ParameterError, match="model.lr is not an option of patch_kmeans"):
        load_config(None, ["method=patch_kmeans", "model.lr=0.1"])
    with pytest.raises(ParameterError, match="n_patches"):
        make_method("patch_kmeans", atoms=100, n_patches=50)
    x = images[0][:4]  # 4 images of 12 x 12: 4 x 81 windows of 4 x 4, fewer than 800 atoms
    with pytest.raises(DataError, match="fewer distinct"):
        make_method("patch_kmeans", n_clusters=2, patch=4, n_patches=1000).fit(x)
    with pytest.raises(DataError, match="dims"):
        make_method("patch_kmeans", n_clusters=2, atoms=8, patch=4, n_patches=500, dims=10).fit(x)
    with pytest.raises(ParameterError, match="patch must be between"):
        make_method("patch_kmeans", patch=12).fit(x)


def _backbone_config(path, tmp_path, *more):
    return load_config(None, ["method=backbone", f"data.source={path}", "data.label=y", "model.n_clusters=3",
                              "model.n_neighbors=5", "model.head_epochs=3", "model.self_label_epochs=2",
                              "model.threshold=0.34", "model.batch_size=16", f"run.out={tmp_path}", *more])


def test_backbone_head_in_the_session_runner_resumes_to_the_same_state(images_file, tmp_path, monkeypatch):
    monkeypatch.setenv("CLUSTERLAB_CACHE", str(tmp_path / "cache"))
    straight = Session.new(_backbone_config(images_file, tmp_path, "run.name=straight"))
    a = straight.run()
    assert a["epochs"] == 5 and a["ari"] > 0.9  # three shapes the pretrained features tell apart
    state = json.loads((straight.folder / "checkpoint" / "state.json").read_text())
    assert state["history"][-1]["confident_share"] > 0.5  # self-labelling trained (with dropout) before the kill
    killed = Session.new(_backbone_config(images_file, tmp_path, "run.name=killed"))

    def kill_after_step_4(record, total):
        if record["step"] == 4:  # in the self-labelling phase, after the best head was taken
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        killed.run(progress=kill_after_step_4)
    b = Session.open(killed.folder).run(resume=True)
    assert b["cluster_sizes"] == a["cluster_sizes"] and b["ari"] == pytest.approx(a["ari"])
    from safetensors.torch import load_file
    wa = load_file(str(straight.folder / "checkpoint" / "weights.safetensors"))
    wb = load_file(str(killed.folder / "checkpoint" / "weights.safetensors"))
    assert all(torch.allclose(wa[k], wb[k], atol=1e-6) for k in wa)
    assert Session.open(straight.folder).run(test_only=True)["ari"] == pytest.approx(a["ari"])


@pytest.mark.parametrize("clusterer", ["kmeans", "mixture", "spectral"])
def test_backbone_baselines_cluster_the_features_and_predict_new_images(images, clusterer, tmp_path, monkeypatch):
    from sklearn.metrics import adjusted_rand_score

    monkeypatch.setenv("CLUSTERLAB_CACHE", str(tmp_path))
    x, y = images
    m = make_method("backbone", n_clusters=3, clusterer=clusterer, n_neighbors=5).fit(x)
    assert adjusted_rand_score(y, m.epoch_labels) > 0.9
    assert adjusted_rand_score(y, m.predict(x[::-1])[::-1]) > 0.9  # the stored rule, on the images given anew


def test_backbone_names_its_allowed_clusterers_and_backbones():
    with pytest.raises(ParameterError, match="head, kmeans, mixture, spectral"):
        make_method("backbone", clusterer="dbscan")
    with pytest.raises(NotFoundError, match="efficientnet_lite0, efficientnet_lite1"):
        make_method("backbone", backbone="resnet50")
    with pytest.raises(ParameterError, match="no option net"):
        make_method("backbone", net="mlp")
