// aio-test-labels: sync
// aio::Table and aio::Column: the pandas DataFrame / Series operations, with
// the outputs pandas 1.5 prints for the same data (taken from
// /usr/bin/python3 with pandas, written here so that this test needs no Python).
#include <aio/csv.hpp>
#include <aio/table.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <sstream>

namespace {

const std::string kDir = std::string(AIO_SOURCE_DIR) + "/tests/csv/data/";

aio::Table air() { return aio::csv::read_csv(kDir + "airtravel.csv"); }
aio::Table gaps() { return aio::csv::read_csv(kDir + "empty_fields.csv"); }

TEST(Table, ShapeColumnsAndDtypesAreThoseOfPandas) {
    const aio::Table t = air();
    EXPECT_EQ(t.shape(), (std::pair<std::size_t, std::size_t>{12, 4}));
    EXPECT_EQ(t.num_rows(), 12u);
    EXPECT_EQ(t.num_columns(), 4u);
    EXPECT_EQ(t.columns(), (std::vector<std::string>{"Month", " \"1958\"", " \"1959\"", " \"1960\""}));
    EXPECT_EQ(t.dtypes(), (std::vector<aio::DType>{aio::DType::object, aio::DType::int64, aio::DType::int64,
                                                    aio::DType::int64}));
    EXPECT_EQ(aio::to_string(aio::DType::datetime64_ns), "datetime64[ns]");
    EXPECT_EQ(aio::to_string(aio::DType::bool_), "bool");
}

TEST(Table, ColumnsAreTypedViewsWithAValidityMask) {
    const aio::Table t = gaps();
    const aio::Column& a = t["a"];
    ASSERT_EQ(a.dtype(), aio::DType::float64);
    auto v = a.values<double>();
    EXPECT_EQ(v[0], 1.0);
    EXPECT_TRUE(std::isnan(v[2]));
    ASSERT_EQ(a.validity().size(), 4u);
    EXPECT_EQ(a.validity()[2], 0);
    EXPECT_TRUE(a.is_na(2));
    EXPECT_EQ(a.null_count(), 1u);
    EXPECT_THROW((void)a.values<std::int64_t>(), aio::TypeError);
    EXPECT_EQ(t.column(2).str(0), "x");
    EXPECT_TRUE(t.column(2).is_na(1));
    EXPECT_THROW((void)t["nope"], aio::KeyError);
    EXPECT_THROW((void)t.column(9), aio::IndexError);
    EXPECT_TRUE(air()[" \"1958\""].validity().empty());
    EXPECT_EQ(std::get<std::int64_t>(air().column(1).at(0)), 340);
}

TEST(Table, HeadPrintsWhatPandasPrints) {
    std::ostringstream os;
    os << air().head();
    EXPECT_EQ(os.str(),
              "  Month   \"1958\"   \"1959\"   \"1960\"\n0   JAN      340      360      417\n1   FEB      318      342      362\n"
              "2   MAR      362      406      406\n3   APR      348      396      461\n4   MAY      363      420      472");
    EXPECT_EQ(fmt::format("{}", air().head(2)), air().head(2).to_string());
}

TEST(Table, TailKeepsTheRowLabels) {
    EXPECT_EQ(air().tail().to_string(),
              "   Month   \"1958\"   \"1959\"   \"1960\"\n7    AUG      505      559      606\n8    SEP      404      463      508\n"
              "9    OCT      359      407      461\n10   NOV      310      362      390\n11   DEC      337      405      432");
}

TEST(Table, DescribeMatchesPandas) {
    EXPECT_EQ(air().describe().to_string(),
              "           \"1958\"      \"1959\"      \"1960\"\ncount   12.000000   12.000000   12.000000\n"
              "mean   381.000000  428.333333  472.666667\nstd     64.530472   69.830097   81.888320\n"
              "min    310.000000  342.000000  362.000000\n25%    339.250000  387.500000  414.250000\n"
              "50%    360.500000  406.500000  461.000000\n75%    411.750000  465.250000  514.750000\n"
              "max    505.000000  559.000000  622.000000");
    EXPECT_EQ(gaps().describe().to_string(),
              "              a    b    d\ncount  3.000000  3.0  0.0\nmean   2.333333  3.5  NaN\nstd    1.527525  1.0  NaN\n"
              "min    1.000000  2.5  NaN\n25%    1.500000  3.0  NaN\n50%    2.000000  3.5  NaN\n75%    3.000000  4.0  NaN\n"
              "max    4.000000  4.5  NaN");
}

TEST(Table, SortValuesAndFilterKeepLabels) {
    const aio::Table t = air();
    EXPECT_EQ(t.sort_values(" \"1958\"", false).head(3).to_string(),
              "  Month   \"1958\"   \"1959\"   \"1960\"\n7   AUG      505      559      606\n6   JUL      491      548      622\n"
              "5   JUN      435      472      535");
    std::vector<bool> mask;
    for (auto v : t[" \"1958\""].values<std::int64_t>()) mask.push_back(v > 400);
    EXPECT_EQ(t.filter(mask).to_string(),
              "  Month   \"1958\"   \"1959\"   \"1960\"\n5   JUN      435      472      535\n6   JUL      491      548      622\n"
              "7   AUG      505      559      606\n8   SEP      404      463      508");
    EXPECT_THROW((void)t.filter(std::vector<bool>(3, true)), aio::ValueError);
    EXPECT_EQ(t.sort_values(std::vector<std::string>{"Month"}).column(0).str(0), "APR");
}

TEST(Table, MissingValues) {
    const aio::Table t = gaps();
    EXPECT_EQ(t.to_string(), "     a    b    c   d\n0  1.0  NaN    x NaN\n1  2.0  2.5  NaN NaN\n2  NaN  3.5    z NaN\n3  4.0  4.5    w NaN");
    EXPECT_EQ(t.isna().to_string(),
              "       a      b      c     d\n0  False   True  False  True\n1  False  False   True  True\n"
              "2   True  False  False  True\n3  False  False  False  True");
    EXPECT_EQ(t.fillna(std::int64_t{0}).to_string(),
              "     a    b  c    d\n0  1.0  0.0  x  0.0\n1  2.0  2.5  0  0.0\n2  0.0  3.5  z  0.0\n3  4.0  4.5  w  0.0");
    EXPECT_EQ(t.dropna().to_string(), "Empty DataFrame\nColumns: [a, b, c, d]\nIndex: []");
    EXPECT_EQ(t.select({"a", "c"}).dropna().num_rows(), 2u);
}

TEST(Table, ColumnAggregatesMatchPandas) {
    const aio::Table t = gaps();
    EXPECT_EQ(std::get<double>(t["b"].sum()), 10.5);
    EXPECT_EQ(t["b"].mean(), 3.5);
    EXPECT_EQ(t["b"].std(), 1.0);
    EXPECT_EQ(std::get<double>(t["a"].min()), 1.0);
    EXPECT_EQ(std::get<double>(t["a"].max()), 4.0);
    EXPECT_EQ(t["a"].count(), 3u);
    const aio::Column u = t["c"].unique();
    ASSERT_EQ(u.size(), 4u);
    EXPECT_EQ(u.str(0), "x");
    EXPECT_TRUE(u.is_na(1));
    EXPECT_EQ(u.str(3), "w");
    EXPECT_EQ(std::get<std::int64_t>(air()[" \"1958\""].sum()), 4572);
    EXPECT_TRUE(aio::is_na(t["d"].max()));
    EXPECT_THROW((void)t["c"].mean(), aio::TypeError);
}

TEST(Table, ConcatKeepsLabelsAndUnifiesTypes) {
    const aio::Table t = gaps();
    const aio::Table c = aio::concat(std::vector<aio::Table>{t.head(2), t.tail(1)});
    EXPECT_EQ(c.to_string(), "     a    b    c   d\n0  1.0  NaN    x NaN\n1  2.0  2.5  NaN NaN\n3  4.0  4.5    w NaN");
    const aio::Table ints = air().select({" \"1958\""});
    const aio::Table mixed = aio::concat(std::vector<aio::Table>{ints, ints.astype(aio::DType::float64)});
    EXPECT_EQ(mixed.dtypes()[0], aio::DType::float64);
    EXPECT_EQ(mixed.num_rows(), 24u);
}

TEST(Table, AstypeConvertsOrThrows) {
    const aio::Table t = air();
    const aio::Table f = t.astype({{" \"1958\"", aio::DType::float64}});
    EXPECT_EQ(f.dtypes()[1], aio::DType::float64);
    EXPECT_EQ(t[" \"1959\""].astype(aio::DType::object).str(0), "360");
    EXPECT_THROW((void)t["Month"].astype(aio::DType::int64), aio::ValueError);
    EXPECT_THROW((void)gaps()["a"].astype(aio::DType::int64), aio::ValueError);
    EXPECT_EQ(aio::Column::from_strings({"1", " 2"}).astype(aio::DType::int64).values<std::int64_t>()[1], 2);
}

TEST(Table, AstypeToDatetimeRefusesValuesPastInt64Nanoseconds) {
    // Whole nanoseconds since the epoch; what int64 cannot hold (or an
    // infinity) is a ValueError naming the row, not a wrapped or undefined
    // cast (pandas: OutOfBoundsDatetime, a ValueError).
    const aio::Column f = aio::Column::from_float64({1.5e9, -2.9e9, NAN});
    const aio::Column t = f.astype(aio::DType::datetime64_ns);
    EXPECT_EQ(t.values<aio::Timestamp>()[0].ns, 1'500'000'000);
    EXPECT_EQ(t.values<aio::Timestamp>()[1].ns, -2'900'000'000);
    EXPECT_TRUE(t.is_na(2));
    for (double bad : {1e300, -1e300, 9223372036854775808.0, double(INFINITY), -double(INFINITY)}) {
        try {
            (void)aio::Column::from_float64({0.0, bad}).astype(aio::DType::datetime64_ns);
            ADD_FAILURE() << bad << " converted";
        } catch (const aio::ValueError& e) {
            EXPECT_NE(std::string(e.what()).find("at row 1: out of range"), std::string::npos) << e.what();
        }
    }
    const std::uint64_t past = std::uint64_t{1} << 63;
    const aio::Column u = aio::Column::from_uint64({past - 1});
    EXPECT_EQ(u.astype(aio::DType::datetime64_ns).values<aio::Timestamp>()[0].ns, INT64_MAX);
    // 2^63 would wrap to INT64_MIN, which is NaT: a value silently lost.
    EXPECT_THROW((void)aio::Column::from_uint64({past}).astype(aio::DType::datetime64_ns), aio::ValueError);
    EXPECT_THROW((void)aio::Column::from_uint64({UINT64_MAX}).astype(aio::DType::datetime64_ns), aio::ValueError);
}

TEST(Table, ToCsvIsPandasToCsvIndexFalse) {
    EXPECT_EQ(air().head(2).to_csv(), "Month,\" \"\"1958\"\"\",\" \"\"1959\"\"\",\" \"\"1960\"\"\"\nJAN,340,360,417\nFEB,318,342,362\n");
    const aio::Table f({"f"}, {aio::Column::from_float64({1e-05, 0.1, 1.0, 1e16, 123456789.123, INFINITY, NAN, 5e-324})});
    EXPECT_EQ(f.to_csv(), "f\n1e-05\n0.1\n1.0\n1e+16\n123456789.123\ninf\n\"\"\n5e-324\n");
}

TEST(Table, DatetimeColumnsPrintAsPandas) {
    const aio::Table d = aio::csv::read_csv(kDir + "dates.csv", {.parse_dates = {"when"}});
    EXPECT_EQ(d.dtypes()[0], aio::DType::datetime64_ns);
    EXPECT_EQ(d.to_string(),
              "                     when  other\n0 2020-01-02 00:00:00.000      1\n1 2021-12-31 23:59:59.000      2\n"
              "2                     NaT      3\n3 2020-02-29 12:00:00.500      4");
    EXPECT_EQ(aio::to_string(d["when"].at(0)), "2020-01-02 00:00:00");
}

// display.precision as pandas takes it: a negative one is refused, and one
// past what any double has prints what pandas prints (the exact decimals,
// trailing zeros trimmed, cut to max_colwidth) without asking printf for
// gigabytes.
TEST(Table, FloatPrecisionAtItsLimits) {
    const aio::Table t({"x"}, {aio::Column::from_float64({0.1, 2.5})});
    EXPECT_EQ(t.to_string({.precision = 20}), "                        x\n0  0.10000000000000000555\n1  2.50000000000000000000");
    const std::string wide =
        "                                                   x\n"
        "0  0.10000000000000000555111512312578270211815834...\n"
        "1  2.50000000000000000000000000000000000000000000...";
    EXPECT_EQ(t.to_string({.precision = 2000}), wide);
    EXPECT_EQ(t.to_string({.precision = std::numeric_limits<int>::max()}), wide);
    EXPECT_THROW((void)t.to_string({.precision = -1}), aio::ValueError);
    EXPECT_THROW((void)t.to_string({.precision = std::numeric_limits<int>::min()}), aio::ValueError);
}

TEST(Table, LongTablesAreCutToHeadAndTail) {
    std::vector<std::int64_t> v(100);
    for (int i = 0; i < 100; ++i) v[static_cast<std::size_t>(i)] = i * i;
    const aio::Table t({"sq"}, {aio::Column::from_int64(v)});
    EXPECT_EQ(t.to_string(),
              "      sq\n0      0\n1      1\n2      4\n3      9\n4     16\n..   ...\n95  9025\n96  9216\n97  9409\n98  9604\n"
              "99  9801\n\n[100 rows x 1 columns]");
}

TEST(Table, EmptyTables) {
    EXPECT_EQ(aio::Table({"a"}, {aio::Column::from_float64({})}).to_string(), "Empty DataFrame\nColumns: [a]\nIndex: []");
    EXPECT_EQ(aio::Table().num_rows(), 0u);
    EXPECT_THROW(aio::Table({"a", "b"}, {aio::Column::from_int64({1}), aio::Column::from_int64({1, 2})}),
                 aio::ValueError);
}

}  // namespace
