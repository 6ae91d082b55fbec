"""tree_iris.py: scikit-learn's first tree workflow through the libdeep binding — load the
iris table with libdeep's CSV loader, split it 70/30 (stratified, fixed seed), fit a
DecisionTreeClassifier and a RandomForestClassifier, print their test accuracy, the
confusion matrix and the feature importances, then 5-fold cross-validation.

Usage: python3 tree_iris.py [iris.csv]   (default: examples/data/iris.csv of the checkout)
"""

import os
import sys

import libdeep
from libdeep import DecisionTreeClassifier, RandomForestClassifier
from libdeep.metrics import confusion_matrix

DEFAULT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "examples", "data", "iris.csv")


def main():
    data = libdeep.load_csv(sys.argv[1] if len(sys.argv) > 1 else DEFAULT, label_column="species")
    names, columns = data.class_names, data.column_names
    train, test = data.split(0.3, seed=0, stratify=True)
    print(f"{len(train)} training and {len(test)} test samples, classes {names}")

    tree = DecisionTreeClassifier().fit(train)
    print(f"decision tree: test accuracy {tree.score(test):.4f}, depth {tree.get_depth()}, "
          f"{tree.get_n_leaves()} leaves")
    forest = RandomForestClassifier(n_estimators=100, oob_score=True, random_state=1).fit(train)
    print(f"random forest: test accuracy {forest.score(test):.4f}, out-of-bag {forest.oob_score_:.4f}")

    matrix = confusion_matrix(test.labels, tree.predict(test), num_classes=len(names))
    print("\nconfusion matrix of the tree (rows: true class, columns: predicted)")
    print(" " * 12 + "".join(f"{n:>12}" for n in names))
    for name, row in zip(names, matrix):
        print(f"{name:>12}" + "".join(f"{v:>12}" for v in row))

    print("\nfeature importances (tree, forest)")
    for column, a, b in zip(columns, tree.feature_importances_, forest.feature_importances_):
        print(f"  {column:<14} {a:.4f}  {b:.4f}")

    scores = DecisionTreeClassifier().cross_val_score(data, cv=5, seed=0)
    print(f"\n5-fold cross-validation of the tree: {scores.round(4).tolist()} mean {scores.mean():.4f}")


if __name__ == "__main__":
    main()
