// Asio and Beast are header-only by default; with *_SEPARATE_COMPILATION defined project
// wide, their implementation is compiled here once instead of in every file.
#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>
