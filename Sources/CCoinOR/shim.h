// COIN-OR CBC (mixed-integer programs) and CLP (linear programs), Debian coinor-libcbc-dev and
// coinor-libclp-dev (EPL-2.0): the C interfaces, for optimal secondary suppression (issue 15).
#include <coin/Cbc_C_Interface.h>
#include <coin/Clp_C_Interface.h>
