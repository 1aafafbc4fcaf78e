// Builders of each model family (one .cpp per family). Internal to the zoo: callers use zoo.h.
#pragma once

#include "model/zoo/zoo.h"

namespace tpulab::zoo {

Graph build_mobilenet_v1(const ZooOptions& o);
Graph build_mobilenet_v2(const ZooOptions& o);
Graph build_inception_v1(const ZooOptions& o);
Graph build_inception_v3(const ZooOptions& o);
Graph build_inception_v4(const ZooOptions& o);
Graph build_inception_resnet_v2(const ZooOptions& o);
Graph build_resnet50_v1(const ZooOptions& o);
Graph build_resnet_v2(const ZooOptions& o, int depth);
Graph build_densenet121(const ZooOptions& o);
Graph build_squeezenet(const ZooOptions& o);
Graph build_vgg(const ZooOptions& o, int depth);
// variant: 's', 'm' or 'l'
Graph build_efficientnet_edgetpu(const ZooOptions& o, char variant);
Graph build_ssd_mobilenet(const ZooOptions& o, int version);
Graph build_unet_mv2(const ZooOptions& o);
Graph build_deeplab_v3_mnv2(const ZooOptions& o);

}  // namespace tpulab::zoo
