# FindZooKeeper: the ZooKeeper C client, multi-threaded flavour (Debian: libzookeeper-mt-dev).
# Debian ships neither a pkg-config file nor a CMake package for it.
#
# Defines the imported target ZooKeeper::zookeeper_mt (header <zookeeper/zookeeper.h>,
# compiled with -DTHREADED so the synchronous API is declared) and ZooKeeper_FOUND.
find_path(ZooKeeper_INCLUDE_DIR zookeeper/zookeeper.h)
find_library(ZooKeeper_LIBRARY zookeeper_mt)

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(ZooKeeper
  REQUIRED_VARS ZooKeeper_LIBRARY ZooKeeper_INCLUDE_DIR
  REASON_FAILURE_MESSAGE "install it with scripts/install-deps.sh (Debian package libzookeeper-mt-dev)")

if(ZooKeeper_FOUND AND NOT TARGET ZooKeeper::zookeeper_mt)
  find_package(Threads REQUIRED)
  add_library(ZooKeeper::zookeeper_mt UNKNOWN IMPORTED)
  set_target_properties(ZooKeeper::zookeeper_mt PROPERTIES
    IMPORTED_LOCATION "${ZooKeeper_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${ZooKeeper_INCLUDE_DIR}"
    INTERFACE_COMPILE_DEFINITIONS THREADED
    INTERFACE_LINK_LIBRARIES Threads::Threads)
endif()
mark_as_advanced(ZooKeeper_INCLUDE_DIR ZooKeeper_LIBRARY)
