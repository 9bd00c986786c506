"""Chapter 9's glue keys and table columns per row of a sweep, literal as the page cites them.

:func:`~initlab.experiments.embeddings.bias_table` records, per (hidden bias, table),
:data:`BIAS_COLUMNS` under :data:`BIAS_KEYS`; :func:`~initlab.experiments.embeddings.scale_sweep`
records, per std, :data:`SCALE_COLUMNS` under :data:`SCALE_KEYS`. Rows not named here are in
the experiment's ``rows`` only.
"""

from __future__ import annotations

#: Glue keys of :func:`bias_table`, per (hidden bias, table): final kNN agreement, test
#: accuracy, epochs to kNN 0.9, runs that reached it, largest row distance at the end.
BIAS_KEYS: dict[tuple[float, str], tuple[str, ...]] = {
    (0.0, "zero_table"): ("bias_0_zero_table_knn", "bias_0_zero_table_test_acc",
                          "bias_0_zero_table_epochs_to_knn90",
                          "bias_0_zero_table_n_reached_knn90", "bias_0_zero_table_max_dist"),
    (0.0, "random"): ("bias_0_random_knn", "bias_0_random_test_acc",
                      "bias_0_random_epochs_to_knn90", "bias_0_random_n_reached_knn90",
                      "bias_0_random_max_dist"),
    (0.01, "zero_table"): ("bias_0p01_zero_table_knn", "bias_0p01_zero_table_test_acc",
                           "bias_0p01_zero_table_epochs_to_knn90",
                           "bias_0p01_zero_table_n_reached_knn90",
                           "bias_0p01_zero_table_max_dist"),
    (0.01, "random"): ("bias_0p01_random_knn", "bias_0p01_random_test_acc",
                       "bias_0p01_random_epochs_to_knn90", "bias_0p01_random_n_reached_knn90",
                       "bias_0p01_random_max_dist"),
    (0.1, "zero_table"): ("bias_0p1_zero_table_knn", "bias_0p1_zero_table_test_acc",
                          "bias_0p1_zero_table_epochs_to_knn90",
                          "bias_0p1_zero_table_n_reached_knn90", "bias_0p1_zero_table_max_dist"),
    (0.1, "random"): ("bias_0p1_random_knn", "bias_0p1_random_test_acc",
                      "bias_0p1_random_epochs_to_knn90", "bias_0p1_random_n_reached_knn90",
                      "bias_0p1_random_max_dist"),
}
BIAS_COLUMNS = ("kNN agreement", "test accuracy", "epochs to kNN 0.9", "runs reaching 0.9",
                "max row distance")


#: Glue keys of :func:`scale_sweep`, per std: initial and final training loss, epochs to test
#: accuracy 0.9 and runs that reached it, final kNN agreement and test accuracy, move, rel move.
SCALE_KEYS: dict[float, tuple[str, ...]] = {
    0.01: ("scale_0p01_init_loss", "scale_0p01_final_loss", "scale_0p01_epochs_to_acc90",
           "scale_0p01_n_reached_acc90", "scale_0p01_knn", "scale_0p01_test_acc",
           "scale_0p01_move", "scale_0p01_rel_move"),
    0.03: ("scale_0p03_init_loss", "scale_0p03_final_loss", "scale_0p03_epochs_to_acc90",
           "scale_0p03_n_reached_acc90", "scale_0p03_knn", "scale_0p03_test_acc",
           "scale_0p03_move", "scale_0p03_rel_move"),
    0.1: ("scale_0p1_init_loss", "scale_0p1_final_loss", "scale_0p1_epochs_to_acc90",
          "scale_0p1_n_reached_acc90", "scale_0p1_knn", "scale_0p1_test_acc", "scale_0p1_move",
          "scale_0p1_rel_move"),
    0.3: ("scale_0p3_init_loss", "scale_0p3_final_loss", "scale_0p3_epochs_to_acc90",
          "scale_0p3_n_reached_acc90", "scale_0p3_knn", "scale_0p3_test_acc", "scale_0p3_move",
          "scale_0p3_rel_move"),
    1.0: ("scale_1_init_loss", "scale_1_final_loss", "scale_1_epochs_to_acc90",
          "scale_1_n_reached_acc90", "scale_1_knn", "scale_1_test_acc", "scale_1_move",
          "scale_1_rel_move"),
    3.0: ("scale_3_init_loss", "scale_3_final_loss", "scale_3_epochs_to_acc90",
          "scale_3_n_reached_acc90", "scale_3_knn", "scale_3_test_acc", "scale_3_move",
          "scale_3_rel_move"),
    10.0: ("scale_10_init_loss", "scale_10_final_loss", "scale_10_epochs_to_acc90",
           "scale_10_n_reached_acc90", "scale_10_knn", "scale_10_test_acc", "scale_10_move",
           "scale_10_rel_move"),
}
SCALE_COLUMNS = ("initial loss", "final loss", "epochs to test acc 0.9", "runs reaching 0.9",
                 "kNN agreement", "test accuracy", "move", "relative move")
