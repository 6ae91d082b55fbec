//! Typed tables: text columns as categories, one-hot and ordinal encoding with a training
//! table's categories, columns by name, value counts. The expected values are pandas
//! 1.5.3's on the same text (pd.get_dummies(X), X["city"].value_counts()).
mod common;

use common::{expect_error, TempDir};
use libdeep::{Dataset, Encoding, FillStrategy, Imputer, Join, Status};

const TRAIN: &str = "age,city,income,pet,y\n30,Paris,50,cat,yes\n25,Lyon,,dog,no\n40,Paris,70,,yes\n35,Nice,60,cat,no\n28,Lyon,55,dog,yes\n";
const TEST: &str = "age,city,income,pet,y\n22,Lyon,45,cat,no\n50,Berlin,80,dog,yes\n";

fn load(dir: &TempDir, name: &str, text: &str) -> Dataset {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    Dataset::load_csv_typed(&path, Some("y")).unwrap()
}

fn same(got: Vec<f32>, want: &[f64]) {
    assert_eq!(got.len(), want.len());
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(if w.is_nan() { g.is_nan() } else { f64::from(*g) == *w }, "value {}: {} != {}", i, g, w);
    }
}

fn names(d: &Dataset) -> Vec<String> {
    (0..d.sample_shape().unwrap()[0] as usize).map(|j| d.column_name(j).unwrap()).collect()
}

#[test]
fn get_dummies_with_the_training_categories() {
    let dir = TempDir::new("columns-encode");
    let train = load(&dir, "train.csv", TRAIN);
    let test = load(&dir, "test.csv", TEST);
    let path = dir.join("train.csv");
    expect_error(Dataset::load_csv(&path, Some("y")), Status::Format, "deep_dataset_load_csv");
    assert_eq!(train.categories(1).unwrap(), vec!["Lyon", "Nice", "Paris"]);
    assert!(train.categories(0).unwrap().is_empty());
    let onehot = train.encode(Encoding::OneHot, None, false).unwrap();
    assert_eq!(names(&onehot), vec!["age", "income", "city_Lyon", "city_Nice", "city_Paris", "pet_cat", "pet_dog"]);
    let nan = f64::NAN;
    same(onehot.features().unwrap().data().unwrap().to_vec(),
         &[30., 50., 0., 0., 1., 1., 0., 25., nan, 1., 0., 0., 0., 1., 40., 70., 0., 0., 1., 0., 0.,
           35., 60., 0., 1., 0., 1., 0., 28., 55., 1., 0., 0., 0., 1.]);
    expect_error(test.encode(Encoding::OneHot, Some(&train), false), Status::InvalidArgument, "'Berlin'");
    let ignored = test.encode(Encoding::OneHot, Some(&train), true).unwrap();
    same(ignored.features().unwrap().data().unwrap().to_vec(), &[22., 45., 1., 0., 0., 1., 0., 50., 80., 0., 0., 0., 0., 1.]);
    let ordinal = test.encode(Encoding::Ordinal, Some(&train), true).unwrap();
    same(ordinal.features().unwrap().data().unwrap().to_vec(), &[22., 0., 45., 0., 50., nan, 80., 1.]);
}

#[test]
fn columns_by_name_and_value_counts() {
    let dir = TempDir::new("columns-names");
    let mut d = load(&dir, "train.csv", TRAIN);
    let city = d.column_index("city").unwrap();
    assert_eq!(city, 1);
    // pandas: Paris 2, Lyon 2, Nice 1 (ids 2, 0, 1).
    assert_eq!(d.value_counts(city).unwrap(), vec![(2.0, 2), (0.0, 2), (1.0, 1)]);
    let picked = d.select_columns(&["pet", "age"]).unwrap();
    assert_eq!(names(&picked), vec!["pet", "age"]);
    assert_eq!(picked.categories(0).unwrap(), vec!["cat", "dog"]);
    let rest = d.drop_columns(&["city", "pet"]).unwrap();
    assert_eq!(names(&rest), vec!["age", "income"]);
    expect_error(d.select_columns(&["town"]), Status::InvalidArgument, "'town'");
    expect_error(d.select_columns(&[]), Status::InvalidArgument, "at least one column");
    d.rename_column("income", "salary").unwrap();
    assert_eq!(d.column_name(2).unwrap(), "salary");
    expect_error(d.column_index("income"), Status::InvalidArgument, "deep_dataset_column_index");
}

/// scikit-learn 1.2.1's SimpleImputer on this text: age mean 31.6, income median 55, city
/// most frequent "Lyon" (Paris and Lyon tie: the smallest).
const IMPUTE: &str = "age,city,income,pet,y\n30,Paris,50,cat,yes\n25,Lyon,,dog,no\n40,Paris,70,,yes\n35,,60,cat,no\n28,Lyon,55,dog,yes\n,Nice,55,,no\n";

#[test]
fn imputer_per_column_fitted_on_train() {
    let dir = TempDir::new("columns-imputer");
    let train = load(&dir, "train.csv", IMPUTE);
    let mut test = load(&dir, "test.csv", "age,city,income,pet,y\n,Berlin,,dog,no\n50,,80,,yes\n");
    let mut imp = Imputer::new(FillStrategy::Median, 0.0).unwrap();
    expect_error(imp.fit(&train), Status::State, "holds text");
    imp.set_column("age", FillStrategy::Mean, 0.0, None).unwrap();
    imp.set_column("city", FillStrategy::MostFrequent, 0.0, None).unwrap();
    imp.set_column("pet", FillStrategy::Constant, 0.0, Some("none")).unwrap();
    expect_error(imp.transform(&mut test), Status::State, "not fitted");
    imp.fit(&train).unwrap();
    assert!((imp.statistic(0).unwrap() - 31.6).abs() < 1e-12);
    assert_eq!(imp.statistic(2).unwrap(), 55.0);
    assert_eq!(imp.fill_text(1).unwrap(), "Lyon");
    expect_error(imp.fill_text(0), Status::State, "deep_imputer_fill_text");
    imp.transform(&mut test).unwrap();
    assert_eq!(test.missing_count(None).unwrap(), 0);
    assert_eq!(test.categories(3).unwrap(), vec!["dog", "none"]);
    same(test.features().unwrap().data().unwrap().to_vec(), &[f64::from(31.6f32), 0., 55., 0., 50., 1., 80., 1.]);
}

/// pandas 1.5.3: pd.merge(L, R, on="city", how="left"), in left order.
#[test]
fn merge_as_pandas() {
    let dir = TempDir::new("columns-merge");
    let left = load(&dir, "l.csv", "id,city,score,y\n1,Paris,0.5,yes\n2,Lyon,0.7,no\n3,Paris,0.2,yes\n4,Nice,0.9,no\n");
    let path = dir.join("r.csv");
    std::fs::write(&path, "city,pop,score\nLyon,500,1\nParis,2100,2\nParis,2200,3\n").unwrap();
    let right = Dataset::load_csv_typed(&path, None).unwrap();
    let m = left.merge(&right, &["city"], Join::Left, None).unwrap();
    assert_eq!(names(&m), vec!["id", "city", "score_x", "pop", "score_y"]);
    let f = |x: f32| f64::from(x);
    let nan = f64::NAN;
    // Cities: Lyon 0, Nice 1, Paris 2 (left's categories).
    same(m.features().unwrap().data().unwrap().to_vec(),
         &[1., 2., f(0.5), 2100., 2., 1., 2., f(0.5), 2200., 3., 2., 0., f(0.7), 500., 1.,
           3., 2., f(0.2), 2100., 2., 3., 2., f(0.2), 2200., 3., 4., 1., f(0.9), nan, nan]);
    assert_eq!(m.labels().unwrap(), vec![1, 1, 0, 1, 1, 0]);
    let inner = left.merge(&right, &["city"], Join::Inner, Some(("_l", "_r"))).unwrap();
    assert_eq!(inner.count().unwrap(), 5);
    assert_eq!(names(&inner)[2], "score_l");
    expect_error(left.merge(&right, &["town"], Join::Inner, None), Status::InvalidArgument, "'town'");
}

#[test]
fn sqlite_round_trip() {
    let dir = TempDir::new("columns-sqlite");
    let d = load(&dir, "train.csv", TRAIN);
    let db = dir.join("t.db");
    match d.write_sqlite(&db, "people", false) {
        Err(e) if e.status() == Status::Unsupported => return, // built without SQLite
        other => other.unwrap(),
    }
    expect_error(d.write_sqlite(&db, "people", false), Status::InvalidArgument, "already exists");
    let back = Dataset::load_sqlite(&db, "SELECT * FROM people WHERE age > ? ORDER BY age", &["26"], Some("y")).unwrap();
    // Rows with age > 26 by age: 28 Lyon, 30 Paris, 35 Nice, 40 Paris.
    assert_eq!(back.categories(1).unwrap(), vec!["Lyon", "Nice", "Paris"]);
    same(back.features().unwrap().data().unwrap().to_vec(),
         &[28., 0., 55., 1., 30., 2., 50., 0., 35., 1., 60., 0., 40., 2., 70., f64::NAN]);
    assert_eq!(back.labels().unwrap(), vec![1, 1, 0, 1]);
    expect_error(Dataset::load_sqlite(&db, "SELECT * FROM nowhere", &[], None), Status::InvalidArgument, "no such table");
}

/// numpy 1.24: np.histogram([1, 2, 2, 3, 3, 3, 4, 4, 4, 4, 10.5, 7.25], bins="auto" / 3).
#[test]
fn histogram_as_numpy() {
    let d = Dataset::new(&[1], &[1., 2., 2., 3., 3., 3., 4., 4., 4., 4., 10.5, f32::NAN, 7.25]).unwrap();
    let (counts, edges) = d.histogram(0, None).unwrap();
    assert_eq!(counts, vec![3, 3, 4, 0, 0, 1, 0, 0, 1]);
    assert_eq!(edges.len(), 10);
    assert_eq!(edges[1], 2.0555555555555554);
    assert_eq!(d.histogram(0, Some(3)).unwrap().0, vec![10, 1, 1]);
    expect_error(d.histogram(1, Some(3)), Status::OutOfRange, "deep_dataset_histogram");
}
