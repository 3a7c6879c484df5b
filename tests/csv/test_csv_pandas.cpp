// aio-test-labels: sync
// aio-test-shards: 2
// The pandas comparison: every file of the tricky corpus (tests/csv/data) is
// read by aio and by pandas (Debian's python3-pandas, through
// compare_pandas.py), and the dtypes, every cell, to_csv() and the printed
// table must agree exactly.
#include <aio/csv.hpp>

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "support/support.hpp"

namespace {

const std::string kDir = std::string(AIO_SOURCE_DIR) + "/tests/csv/data/";
const char* kPython = "/usr/bin/python3";

std::string esc(std::string_view s) {
    std::string r;
    for (char c : s) {
        switch (c) {
            case '\\': r += "\\\\"; break;
            case '\n': r += "\\n"; break;
            case '\r': r += "\\r"; break;
            case '\t': r += "\\t"; break;
            default: r.push_back(c);
        }
    }
    return r;
}

std::string cell(const aio::Column& c, std::size_t i) {
    if (c.is_na(i)) return "NA";
    aio::Scalar v = c.at(i);
    if (c.dtype() == aio::DType::object) return "s:" + esc(c.str(i));
    return aio::to_string(v);
}

std::string dump(const aio::Table& t) {
    std::string out = "== shape " + std::to_string(t.num_rows()) + " " + std::to_string(t.num_columns()) + "\n";
    for (std::size_t c = 0; c < t.num_columns(); ++c) {
        out += "== column " + esc(t.columns()[c]) + " " + std::string(aio::to_string(t.dtypes()[c])) + "\n";
        for (std::size_t r = 0; r < t.num_rows(); ++r) out += cell(t.column(c), r) + "\n";
    }
    out += "== to_csv\n" + t.to_csv();
    out += "== repr\n" + t.to_string() + "\n";
    out += "== head\n" + t.head().to_string() + "\n";
    out += "== tail\n" + t.tail(3).to_string() + "\n";
    return out;
}

struct Case {
    const char* file;
    const char* pandas_kwargs;  // read_csv keyword arguments, as Python source
    aio::csv::ReadOptions options;
};

// Names a failing case by its file and kwargs.
void PrintTo(const Case& c, std::ostream* os) { *os << c.file << " (" << c.pandas_kwargs << ")"; }

std::string key(const Case& c) { return std::string(c.file) + '\t' + c.pandas_kwargs; }

const std::vector<Case>& corpus();

/// pandas' reading of every case of the corpus (key() → output, or
/// "==== error ..."), from one compare_pandas.py --batch: importing pandas
/// took 1.5 s of each case's 1.8 when each case ran its own Python.
const std::map<std::string, std::string>& pandas_readings() {
    static const std::map<std::string, std::string> readings = [] {
        const std::string list = testing::TempDir() + "aio_pandas_cases_" + std::to_string(::getpid()) + ".txt";
        {
            std::ofstream f(list, std::ios::binary);
            for (const Case& c : corpus()) f << kDir << c.file << '\t' << c.pandas_kwargs << '\n';
        }
        const std::string out = aio::test::run_command(std::string(kPython) + " " + AIO_SOURCE_DIR +
                                                       "/tests/csv/compare_pandas.py --batch '" + list + "'")
                                    .output;
        std::remove(list.c_str());
        std::map<std::string, std::string> by_key;
        std::size_t at = 0, index = 0;
        while (at < out.size() && index < corpus().size()) {
            std::size_t end = out.find("\n==== ", at);
            end = end == std::string::npos ? out.size() : end + 1;
            std::string_view part(out.data() + at, end - at);
            const std::string head = "==== case " + std::to_string(index) + "\n";
            by_key[key(corpus()[index])] =
                part.starts_with(head) ? std::string(part.substr(head.size())) : std::string(part);
            at = end;
            ++index;
        }
        return by_key;
    }();
    return readings;
}

void compare(const Case& c) {
    if (!aio::test::python_has_module("pandas")) GTEST_SKIP() << "/usr/bin/python3 has no pandas";
    const std::string path = kDir + c.file;
    const auto found = pandas_readings().find(key(c));
    ASSERT_NE(found, pandas_readings().end()) << "no output from pandas for " << c.file;
    const std::string& expected = found->second;
    ASSERT_FALSE(expected.empty() || expected.starts_with("==== error")) << "pandas failed on " << c.file << ": "
                                                                         << expected;
    const aio::Table t = aio::csv::read_csv(path, c.options);
    EXPECT_EQ(dump(t), expected) << "file " << c.file;
    // The same through the streaming parser, a few bytes at a time.
    std::string text = aio::test::run_command("cat '" + path + "'").output;
    aio::csv::StreamingParser p(c.options);
    for (std::size_t i = 0; i < text.size(); i += 7) p.feed(std::string_view(text).substr(i, 7));
    p.finish();
    if (std::string_view(c.file).ends_with(".gz")) return;
    EXPECT_EQ(dump(p.table()), expected) << "file " << c.file << " fed in pieces";
}

class PandasCorpus : public ::testing::TestWithParam<Case> {};

TEST_P(PandasCorpus, ReadsAsPandasDoes) { compare(GetParam()); }

using aio::csv::ReadOptions;

const std::vector<Case>& corpus() {
    static const std::vector<Case> cases{
                      Case{"airtravel.csv", "", {}}, Case{"quotes.csv", "", {}}, Case{"quotes.csv.gz", "", {}},
                      Case{"empty_fields.csv", "", {}}, Case{"ragged_short.csv", "", {}}, Case{"bom.csv", "", {}},
                      Case{"crlf.csv", "", {}}, Case{"int_limits.csv", "", {}}, Case{"float_limits.csv", "", {}},
                      Case{"na_strings.csv", "", {}}, Case{"bools.csv", "", {}}, Case{"mixed.csv", "", {}},
                      Case{"unicode.csv", "", {}}, Case{"blank_lines.csv", "", {}}, Case{"dup_headers.csv", "", {}},
                      Case{"semicolon_decimal.csv", "sep=';', decimal=',', thousands='.'",
                           ReadOptions{.sep = ";", .thousands = ".", .decimal = ","}},
                      Case{"tsv.tsv", "sep='\\t'", ReadOptions{.sep = "\t"}},
                      Case{"dates.csv", "parse_dates=['when']", ReadOptions{.parse_dates = {"when"}}},
                      Case{"comments.csv", "comment='#'", ReadOptions{.comment = "#"}},
                      Case{"latin1.csv", "encoding='latin-1'", ReadOptions{.encoding = "latin-1"}},
                      Case{"whitespace_numbers.csv", "", {}},
                      Case{"escapechar.csv", "escapechar='\\\\'", ReadOptions{.escapechar = "\\"}},
                      Case{"multichar_sep.csv", "sep='::'", ReadOptions{.sep = "::"}},
                      Case{"header_only.csv", "", {}}, Case{"no_final_newline.csv", "", {}},
                      Case{"quoted_header.csv", "", {}}, Case{"single_column_blank.csv", "", {}},
                      Case{"int_forms.csv", "", {}}, Case{"wide.csv", "", {}}, Case{"long.csv", "", {}},
                      Case{"floats_print.csv", "", {}},
                      Case{"long.csv", "usecols=['label', 'id']", ReadOptions{.usecols = {"label", "id"}}},
                      Case{"long.csv", "usecols=[1, 3], nrows=7", ReadOptions{.usecols = {1, 3}, .nrows = 7}},
                      Case{"long.csv", "skiprows=[1, 2, 50]", ReadOptions{.skiprows = {1, 2, 50}}},
                      Case{"wide.csv", "header=None, skiprows=1", ReadOptions{.header = std::nullopt, .skiprows = 1}},
                      Case{"airtravel.csv", "names=['m', 'a', 'b', 'c'], header=0",
                           ReadOptions{.header = 0, .names = {"m", "a", "b", "c"}}},
                      Case{"airtravel.csv", "skipinitialspace=True", ReadOptions{.skipinitialspace = true}},
                      Case{"empty_fields.csv", "dtype={'a': 'float64', 'c': 'str'}",
                           ReadOptions{.dtype = {{"a", aio::DType::float64}, {"c", aio::DType::object}}}},
                      Case{"na_strings.csv", "keep_default_na=False, na_values=['ok']",
                           ReadOptions{.na_values = {"ok"}, .keep_default_na = false}},
                      Case{"blank_lines.csv", "skip_blank_lines=False", ReadOptions{.skip_blank_lines = false}},
                      Case{"single_quotes.csv", "quotechar=\"'\"", ReadOptions{.quotechar = "'"}}};
    return cases;
}

INSTANTIATE_TEST_SUITE_P(
    Corpus, PandasCorpus, ::testing::ValuesIn(corpus()),
    [](const ::testing::TestParamInfo<Case>& info) {
        std::string n = std::to_string(info.index) + "_" + info.param.file;
        for (char& ch : n)
            if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
        return n;
    });

}  // namespace
